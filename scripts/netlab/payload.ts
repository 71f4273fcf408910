// Payloads for the lab scripts: a file of pseudo-random bytes (incompressible, no two pieces alike) and
// the SHA-1 of a file, to check that every host ends with the origin's bytes.

import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/** A file of `bytes` pseudo-random bytes (incompressible, no two pieces alike); returns its SHA-1. */
export async function writePayload(path: string, bytes: number): Promise<string> {
  const file = await open(path, "w");
  const hash = createHash("sha1");
  const block = new Uint8Array(1 << 20);
  let state = 0x9e3779b9;
  try {
    for (let at = 0; at < bytes; at += block.length) {
      const words = new Uint32Array(block.buffer);
      for (let i = 0; i < words.length; i++) {
        // xorshift32: fast, and enough to make every piece distinct
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state >>> 0;
      }
      const part = block.subarray(0, Math.min(block.length, bytes - at));
      hash.update(part);
      await file.write(part);
    }
  } finally {
    await file.close();
  }
  return hash.digest("hex");
}

export async function sha1File(path: string): Promise<string> {
  const hash = createHash("sha1");
  for await (const chunk of Bun.file(path).stream()) hash.update(chunk);
  return hash.digest("hex");
}

