// Micro-benchmark of the wire framer: 512 MiB of piece messages pushed in 64 KiB chunks. Prints MiB/s.
// Run: bun run scripts/bench-framer.ts [totalMiB] [chunkKiB]

import { BLOCK_SIZE } from "../src/metainfo/geometry.ts";
import { Framer, MAX_PIECE_MESSAGE_LENGTH, decodeMessage, encodeMessage, type FrameHandlers } from "../src/wire/index.ts";

const totalMiB = Number(process.argv[2] ?? 512);
const chunkBytes = Number(process.argv[3] ?? 64) * 1024;

// 4 MiB of consecutive piece frames; 16397-byte frames do not align with chunks, so some span two.
const block = new Uint8Array(BLOCK_SIZE).map((_, i) => i & 0xff);
const framesPerPattern = 256;
const frameLength = encodeMessage({ type: "piece", index: 0, begin: 0, block }).length;
const pattern = new Uint8Array(frameLength * framesPerPattern);
for (let i = 0; i < framesPerPattern; i++) {
  pattern.set(encodeMessage({ type: "piece", index: i >> 4, begin: (i & 15) * BLOCK_SIZE, block }), i * frameLength);
}
// Chunks are copied up front into Buffers, as Bun hands them to data(), so the timed loop only frames.
const chunks: Uint8Array[] = [];
for (let off = 0; off < pattern.length; off += chunkBytes) chunks.push(Buffer.from(pattern.subarray(off, off + chunkBytes)));

function run(label: string, handlers: FrameHandlers, counter: () => number): void {
  const framer = new Framer({ maxMessageLength: MAX_PIECE_MESSAGE_LENGTH, expectHandshake: false });
  const rounds = Math.ceil((totalMiB * 1024 * 1024) / pattern.length);
  const start = performance.now();
  for (let r = 0; r < rounds; r++) for (const c of chunks) framer.push(c, handlers);
  const seconds = (performance.now() - start) / 1000;
  const mib = (rounds * pattern.length) / (1024 * 1024);
  console.log(`${label}: ${mib.toFixed(0)} MiB in ${(seconds * 1000).toFixed(0)} ms = ${(mib / seconds).toFixed(0)} MiB/s (${counter()} frames)`);
}

let frames = 0;
let sink = 0;
const frameOnly: FrameHandlers = {
  handshake() {},
  keepAlive() {},
  message(id, payload) {
    frames++;
    sink += id + payload.length;
  },
};
let decoded = 0;
const withDecode: FrameHandlers = {
  handshake() {},
  keepAlive() {},
  message(id, payload) {
    const msg = decodeMessage(id, payload);
    if (msg.type === "piece") decoded++;
  },
};

console.log(`chunk ${chunkBytes / 1024} KiB, frame ${frameLength} bytes`);
run("framer (warm-up)", frameOnly, () => frames);
frames = 0;
run("framer", frameOnly, () => frames);
run("framer + decodeMessage", withDecode, () => decoded);
if (sink < 0) console.log(sink);
