import { describe, expect, test } from "bun:test";
import { WireError, concatBytes, toHex } from "../../src/util/index.ts";
import {
  Framer,
  HANDSHAKE_LENGTH,
  MAX_PIECE_MESSAGE_LENGTH,
  encodeHandshake,
  encodeMessage,
  maxMessageLengthFor,
  type FrameHandlers,
  type PeerMessage,
} from "../../src/wire/index.ts";
import { mulberry32 } from "../helpers/random.ts";

/** Records every frame as text: "hs:<hex>", "ka", "<id>:<hex payload>". */
function recorder(): { events: string[]; handlers: FrameHandlers } {
  const events: string[] = [];
  return {
    events,
    handlers: {
      handshake: (bytes) => events.push(`hs:${toHex(bytes)}`),
      message: (id, payload) => events.push(`${id}:${toHex(payload)}`),
      keepAlive: () => events.push("ka"),
    },
  };
}

const handshake = encodeHandshake({ infoHash: new Uint8Array(20).fill(0xaa), peerId: new Uint8Array(20).fill(0xbb) });
const block = new Uint8Array(16384).map((_, i) => (i * 31) & 0xff);
const messages: PeerMessage[] = [
  { type: "keep_alive" },
  { type: "bitfield", bytes: new Uint8Array([0xff, 0xf0]) },
  { type: "unchoke" },
  { type: "keep_alive" },
  { type: "keep_alive" },
  { type: "have", index: 3 },
  { type: "piece", index: 1, begin: 16384, block },
  { type: "extended", id: 0, payload: new Uint8Array([0x64, 0x65]) },
  { type: "choke" },
  { type: "piece", index: 2, begin: 0, block: block.subarray(0, 100) },
  { type: "unknown", id: 99, payload: new Uint8Array(0) },
];
const stream = concatBytes([handshake, ...messages.map(encodeMessage)]);
const expected = [
  `hs:${toHex(handshake)}`,
  ...messages.map((m) => {
    if (m.type === "keep_alive") return "ka";
    const frame = encodeMessage(m);
    return `${frame[4]}:${toHex(frame.subarray(5))}`;
  }),
];

function feed(chunks: Uint8Array[], max = maxMessageLengthFor(16)): string[] {
  const framer = new Framer({ maxMessageLength: max, expectHandshake: true });
  const { events, handlers } = recorder();
  for (const c of chunks) framer.push(c, handlers);
  expect(framer.bufferedBytes).toBe(0);
  return events;
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), bytes.length];
  const out: Uint8Array[] = [];
  for (let i = 1; i < points.length; i++) out.push(bytes.slice(points[i - 1], points[i]));
  return out;
}

describe("Framer", () => {
  test("the whole stream in one chunk (handshake and messages merged)", () => {
    expect(feed([stream])).toEqual(expected);
  });

  test("byte by byte", () => {
    expect(feed(splitAt(stream, Array.from({ length: stream.length }, (_, i) => i)))).toEqual(expected);
  });

  test("split at random positions (seeded)", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = mulberry32(seed); // random splits, reproducible
      const cutCount = 1 + Math.floor(rand() * 40);
      const cuts = Array.from({ length: cutCount }, () => Math.floor(rand() * stream.length));
      expect(feed(splitAt(stream, cuts))).toEqual(expected);
    }
  });

  test("split at every position into two chunks", () => {
    for (let cut = 0; cut <= stream.length; cut += cut < 200 ? 1 : 97) {
      expect(feed(splitAt(stream, [cut]))).toEqual(expected);
    }
  });

  test("empty chunks are harmless", () => {
    const chunks = splitAt(stream, [10, 68, 500]).flatMap((c) => [new Uint8Array(0), c]);
    expect(feed(chunks)).toEqual(expected);
  });

  test("a frame inside one chunk is a zero-copy view", () => {
    const framer = new Framer({ maxMessageLength: 1000, expectHandshake: false });
    const chunk = concatBytes([encodeMessage({ type: "have", index: 1 }), encodeMessage({ type: "have", index: 2 })]);
    const seen: Uint8Array[] = [];
    framer.push(chunk, { ...recorder().handlers, message: (_id, payload) => seen.push(payload) });
    expect(seen.map((p) => p.buffer)).toEqual([chunk.buffer, chunk.buffer]);
    expect(seen.map((p) => p.byteOffset)).toEqual([5, 14]);
  });

  test("a frame spanning chunks is assembled into one buffer of exactly its size", () => {
    const frame = encodeMessage({ type: "piece", index: 0, begin: 0, block });
    const framer = new Framer({ maxMessageLength: MAX_PIECE_MESSAGE_LENGTH, expectHandshake: false });
    const seen: Uint8Array[] = [];
    const handlers = { ...recorder().handlers, message: (_id: number, payload: Uint8Array) => seen.push(payload) };
    const chunks = splitAt(frame, [2, 5, 1000, 9000, 16000]);
    for (const c of chunks.slice(0, -1)) framer.push(c, handlers);
    expect(framer.bufferedBytes).toBe(16000 - 4);
    framer.push(chunks.at(-1)!, handlers);
    expect(seen.length).toBe(1);
    expect(seen[0]!.buffer.byteLength).toBe(frame.length - 4);
    expect(seen[0]!).toEqual(frame.subarray(5));
  });

  test("chunks are not retained: later changes to a pushed chunk do not leak into a partial frame", () => {
    const frame = encodeMessage({ type: "have", index: 0x01020304 });
    const first = frame.slice(0, 7);
    const framer = new Framer({ maxMessageLength: 100, expectHandshake: false });
    const { events, handlers } = recorder();
    framer.push(first, handlers);
    first.fill(0xee);
    framer.push(frame.slice(7), handlers);
    expect(events).toEqual(["4:01020304"]);
  });

  test("Node Buffers in, plain Uint8Array views out", () => {
    const framer = new Framer({ maxMessageLength: 100, expectHandshake: false });
    let payload: Uint8Array | undefined;
    framer.push(Buffer.from(encodeMessage({ type: "have", index: 7 })), { ...recorder().handlers, message: (_id, p) => (payload = p) });
    expect(payload!.constructor).toBe(Uint8Array);
  });

  test("a length prefix of 2^31 is rejected and stops the framer", () => {
    const framer = new Framer({ maxMessageLength: MAX_PIECE_MESSAGE_LENGTH, expectHandshake: false });
    const { events, handlers } = recorder();
    const bad = new Uint8Array([0x80, 0, 0, 0, 7, 1, 2, 3]);
    expect(() => framer.push(bad, handlers)).toThrow(new WireError("message too long: 2147483648 > 16393"));
    expect(framer.stopped).toBe(true);
    framer.push(encodeMessage({ type: "choke" }), handlers);
    expect(events).toEqual([]);
  });

  test("an oversized prefix split across chunks is rejected as soon as it is complete", () => {
    const framer = new Framer({ maxMessageLength: 100, expectHandshake: false });
    const { handlers } = recorder();
    framer.push(new Uint8Array([0, 0]), handlers);
    expect(() => framer.push(new Uint8Array([0, 101]), handlers)).toThrow(new WireError("message too long: 101 > 100"));
  });

  test("a frame exactly at the cap is accepted", () => {
    const framer = new Framer({ maxMessageLength: 5, expectHandshake: false });
    const { events, handlers } = recorder();
    framer.push(encodeMessage({ type: "have", index: 1 }), handlers);
    expect(events).toEqual(["4:00000001"]);
  });

  test("a cap raised in the handshake callback applies to the rest of the same chunk", () => {
    const framer = new Framer({ maxMessageLength: 16, expectHandshake: true });
    const { events, handlers } = recorder();
    const big = encodeMessage({ type: "bitfield", bytes: new Uint8Array(100) });
    framer.push(concatBytes([handshake, big]), {
      ...handlers,
      handshake: (bytes) => {
        handlers.handshake(bytes);
        framer.setMaxMessageLength(maxMessageLengthFor(800));
      },
    });
    expect(framer.maxMessageLength).toBe(maxMessageLengthFor(800));
    expect(events.length).toBe(2);
  });

  test("stop() in a handler ends delivery mid-chunk", () => {
    const framer = new Framer({ maxMessageLength: 100, expectHandshake: false });
    const events: number[] = [];
    const chunk = concatBytes([1, 2, 3].map((index) => encodeMessage({ type: "have", index })));
    framer.push(chunk, {
      ...recorder().handlers,
      message: (id) => {
        events.push(id);
        framer.stop();
      },
    });
    framer.push(chunk, recorder().handlers);
    expect(events).toEqual([4]);
    expect(framer.stopped).toBe(true);
  });

  test("a throwing handler stops the framer and the error propagates", () => {
    const framer = new Framer({ maxMessageLength: 100, expectHandshake: false });
    const chunk = concatBytes([encodeMessage({ type: "have", index: 1 }), encodeMessage({ type: "choke" })]);
    const boom = new WireError("have index out of range");
    expect(() => framer.push(chunk, { ...recorder().handlers, message: () => { throw boom; } })).toThrow(boom);
    expect(framer.stopped).toBe(true);
  });

  test("without expectHandshake the stream starts with messages", () => {
    const framer = new Framer({ maxMessageLength: 100, expectHandshake: false });
    const { events, handlers } = recorder();
    framer.push(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 2]), handlers);
    expect(events).toEqual(["ka", "2:"]);
  });

  test("a handshake split across chunks arrives once, whole", () => {
    const { events, handlers } = recorder();
    const framer = new Framer({ maxMessageLength: 100, expectHandshake: true });
    framer.push(handshake.subarray(0, 30), handlers);
    expect(events).toEqual([]);
    expect(framer.bufferedBytes).toBe(30);
    framer.push(handshake.subarray(30), handlers);
    expect(events).toEqual([`hs:${toHex(handshake)}`]);
    expect(handshake.length).toBe(HANDSHAKE_LENGTH);
  });

  test("maxMessageLengthFor: a block, a big bitfield, or an extended message", () => {
    expect(MAX_PIECE_MESSAGE_LENGTH).toBe(16393);
    expect(maxMessageLengthFor(0)).toBeGreaterThanOrEqual(16393);
    expect(maxMessageLengthFor(1_000_000)).toBe(1 + 125_000);
  });
});
