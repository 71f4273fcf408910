// Shared by the scripts: a generated single-file payload on disk and its .torrent, built with ripple's own
// codecs (no external tool), so measurements start from nothing but this repository.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeBencode } from "../src/bencode/index.ts";
import { parseMetainfo, type Metainfo } from "../src/index.ts";
import { sha1 } from "../src/util/index.ts";

export interface Payload {
  /** Directory holding `<name>` (pass it as -o DIR). */
  dataDir: string;
  torrentPath: string;
  meta: Metainfo;
}

/** Writes `dir/seed/<name>` of `sizeBytes` (not compressible, not all zero) and `dir/<name>.torrent`. */
export function makePayload(dir: string, name: string, sizeBytes: number, pieceLength: number): Payload {
  const data = new Uint8Array(sizeBytes);
  let x = 0x9e3779b9;
  const words = new Uint32Array(data.buffer, 0, Math.floor(sizeBytes / 4));
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  const pieceCount = Math.ceil(sizeBytes / pieceLength);
  const hashes = new Uint8Array(pieceCount * 20);
  for (let p = 0; p < pieceCount; p++) hashes.set(sha1(data.subarray(p * pieceLength, (p + 1) * pieceLength)), p * 20);
  const dataDir = join(dir, "seed");
  Bun.spawnSync(["mkdir", "-p", dataDir]);
  writeFileSync(join(dataDir, name), data);
  const torrentBytes = encodeBencode({ info: { name, "piece length": pieceLength, pieces: hashes, length: sizeBytes } });
  const torrentPath = join(dir, `${name}.torrent`);
  writeFileSync(torrentPath, torrentBytes);
  return { dataDir, torrentPath, meta: parseMetainfo(torrentBytes) };
}
