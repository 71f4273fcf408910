// Hashing pieces already on disk against the torrent: large reads (several pieces at a time) done off the
// event loop while the previous batch is hashed, so a recheck runs near SHA-1 speed on cached files.

import { bytesEqual } from "../util/index.ts";
import { pieceHash, pieceLengthAt, type Metainfo } from "../metainfo/index.ts";
import type { Storage } from "./disk.ts";

/** Bytes read per batch of whole pieces (at least one piece). */
export const RECHECK_BATCH_BYTES = 8 * 1024 * 1024;

export interface RecheckOptions {
  /** After each batch: pieces hashed so far. */
  onProgress?: (checked: number, total: number) => void;
  signal?: AbortSignal;
}

/** Hashes `pieces` (ascending) and returns those that match the torrent's hashes. */
export async function recheckPieces(storage: Storage, meta: Metainfo, pieces: readonly number[], options: RecheckOptions = {}): Promise<number[]> {
  const batches = batchRuns(meta, pieces);
  const good: number[] = [];
  const buffers = [new Uint8Array(batchCapacity(meta)), new Uint8Array(batchCapacity(meta))];
  const load = (k: number) => {
    const b = batches[k]!;
    const out = buffers[k % 2]!.subarray(0, b.bytes);
    return storage.readRange(b.first * meta.pieceLength, out).then(() => out);
  };
  let checked = 0;
  let next = batches.length > 0 ? load(0) : undefined;
  try {
    for (let k = 0; k < batches.length; k++) {
      options.signal?.throwIfAborted();
      const data = await next!;
      next = k + 1 < batches.length ? load(k + 1) : undefined;
      const { first, count } = batches[k]!;
      for (let i = 0; i < count; i++) {
        const index = first + i;
        const start = i * meta.pieceLength;
        const digest = new Bun.CryptoHasher("sha1").update(data.subarray(start, start + pieceLengthAt(meta, index))).digest() as Uint8Array;
        if (bytesEqual(digest, pieceHash(meta, index))) good.push(index);
      }
      checked += count;
      options.onProgress?.(checked, pieces.length);
    }
  } finally {
    // A read still in flight must settle before the caller closes the files.
    await next?.catch(() => undefined);
  }
  return good;
}

function batchCapacity(meta: Metainfo): number {
  return Math.max(meta.pieceLength, Math.floor(RECHECK_BATCH_BYTES / meta.pieceLength) * meta.pieceLength);
}

/** Consecutive runs of pieces, cut into batches of at most batchCapacity bytes. */
function batchRuns(meta: Metainfo, pieces: readonly number[]): { first: number; count: number; bytes: number }[] {
  const perBatch = batchCapacity(meta) / meta.pieceLength;
  const out: { first: number; count: number; bytes: number }[] = [];
  for (const index of pieces) {
    const last = out[out.length - 1];
    if (last && last.first + last.count === index && last.count < perBatch) {
      last.count++;
      last.bytes += pieceLengthAt(meta, index);
    } else {
      out.push({ first: index, count: 1, bytes: pieceLengthAt(meta, index) });
    }
  }
  return out;
}
