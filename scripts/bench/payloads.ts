// Benchmark payloads on disk, written in 8 MiB chunks (never the whole file in memory): a pseudo-random
// single file, a multi-file tree (nested dirs, an empty file, pieces spanning files) and a large file
// made of one repeated pseudo-random chunk with each copy stamped with its index, so every piece differs.

import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

const CHUNK_BYTES = 8 * 1024 * 1024;

/** Fills `out` with xorshift32 words from `seed` (deterministic: same payload, same infoHash each run). */
function fillPseudoRandom(out: Uint8Array, seed: number): void {
  const words = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >>> 2);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < out.length; i++) out[i] = (x >>> (8 * (i & 3))) & 0xff;
}

/** Writes `lengthBytes` of pseudo-random data to `path`, chunk by chunk. */
export function writePseudoRandomFile(path: string, lengthBytes: number, seed: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const chunk = new Uint8Array(Math.min(CHUNK_BYTES, Math.max(lengthBytes, 1)));
  const fd = openSync(path, "w");
  try {
    for (let done = 0, i = 0; done < lengthBytes; i++) {
      const n = Math.min(chunk.length, lengthBytes - done);
      fillPseudoRandom(chunk, seed * 7919 + i);
      writeSync(fd, chunk, 0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a large file cheaply: one 8 MiB pseudo-random chunk repeated, its first 8 bytes overwritten with
 * the copy's index, so no two pieces of up to 8 MiB are equal. Real data on disk; costs only the writes.
 */
export function writePatternFile(path: string, lengthBytes: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const chunk = new Uint8Array(CHUNK_BYTES);
  fillPseudoRandom(chunk, 4242);
  const stamp = new DataView(chunk.buffer);
  const fd = openSync(path, "w");
  try {
    for (let done = 0, i = 0; done < lengthBytes; i++) {
      stamp.setBigUint64(0, BigInt(i));
      const n = Math.min(chunk.length, lengthBytes - done);
      writeSync(fd, chunk, 0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a multi-file tree of about `totalBytes` under `root`: an empty file, 24 small files (1-64 KB),
 * and 8 large ones of uneven sizes in nested directories, so most pieces span two files. Returns the byte count.
 */
export function writeTree(root: string, totalBytes: number): number {
  const files: [string, number][] = [["empty.txt", 0]];
  for (let i = 0; i < 24; i++) files.push([`docs/part-${String(i).padStart(2, "0")}.txt`, 1000 + i * 2711]);
  const small = files.reduce((sum, [, n]) => sum + n, 0);
  const large = Math.max(1, Math.floor((totalBytes - small) / 8));
  for (let i = 0; i < 8; i++) {
    const dir = i < 4 ? "media" : "media/extra/deep";
    files.push([`${dir}/clip-${i}.bin`, Math.max(1, large + (i - 4) * 12_345)]);
  }
  let written = 0;
  files.forEach(([path, n], i) => {
    writePseudoRandomFile(join(root, ...path.split("/")), n, 100 + i);
    written += n;
  });
  return written;
}
