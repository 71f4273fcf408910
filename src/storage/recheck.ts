// Hashing pieces already on disk against the torrent: batches of whole pieces read off the event loop into
// shared buffers and hashed on worker threads, one batch per thread plus one being read, so a recheck of a
// cached file runs at the machine's SHA-1 speed on every core rather than one. v2-only torrents (BEP 52) are
// checked by merkle hashes on the calling thread.

import { bytesEqual, createSha1Pool, type Sha1Pool } from "../util/index.ts";
import { pieceHash, pieceLengthAt, pieceMatches, usesMerklePieces, type Metainfo } from "../metainfo/index.ts";
import type { Storage } from "./disk.ts";

/** Bytes read per batch of whole pieces (at least one piece). */
export const RECHECK_BATCH_BYTES = 4 * 1024 * 1024;
/** Batch buffers at once stay under this (but two are always allowed, for torrents with huge pieces). */
export const HASH_BUFFER_BUDGET_BYTES = 24 * 1024 * 1024;

/** Buffers to read into while `threads` workers hash: one each plus one being read, within the budget. */
export function hashBufferCount(threads: number, bufferBytes: number): number {
  return Math.min(threads + 1, Math.max(2, Math.floor(HASH_BUFFER_BUDGET_BYTES / bufferBytes)));
}

export interface RecheckOptions {
  /** After each batch: pieces hashed so far. */
  onProgress?: (checked: number, total: number) => void;
  signal?: AbortSignal;
  /** Hash on these workers (default: a pool of one per core, closed when done). */
  pool?: Sha1Pool;
}

/** Hashes `pieces` (ascending) and returns those that match the torrent's hashes, ascending. */
export async function recheckPieces(storage: Storage, meta: Metainfo, pieces: readonly number[], options: RecheckOptions = {}): Promise<number[]> {
  const batches = batchRuns(meta, pieces);
  const pool = options.pool ?? createSha1Pool();
  const goodByBatch: number[][] = [];
  let nextBatch = 0;
  let checked = 0;
  let failed = false;
  // One lane per buffer: read a batch, hash it, compare, take the next. Lanes overlap reads with hashing.
  const lane = async (): Promise<void> => {
    let buffer: Uint8Array | undefined;
    while (!failed && nextBatch < batches.length) {
      options.signal?.throwIfAborted();
      const k = nextBatch++;
      const { first, count, bytes } = batches[k]!;
      buffer ??= new Uint8Array(new SharedArrayBuffer(batchCapacity(meta)));
      const data = buffer.subarray(0, bytes);
      await storage.readRange(first * meta.pieceLength, data);
      const good: number[] = [];
      if (usesMerklePieces(meta)) {
        for (let i = 0; i < count; i++) {
          if (pieceMatches(meta, first + i, data.subarray(i * meta.pieceLength, i * meta.pieceLength + pieceLengthAt(meta, first + i)))) good.push(first + i);
        }
      } else {
        const digests = await pool.hashRuns(data, meta.pieceLength);
        for (let i = 0; i < count; i++) {
          if (bytesEqual(digests.subarray(i * 20, i * 20 + 20), pieceHash(meta, first + i))) good.push(first + i);
        }
      }
      goodByBatch[k] = good;
      checked += count;
      options.onProgress?.(checked, pieces.length);
    }
  };
  try {
    // Every lane settles before returning: a read still in flight must end before the caller closes files.
    const lanes = Array.from({ length: Math.min(batches.length, hashBufferCount(pool.threads, batchCapacity(meta))) }, () =>
      lane().catch((err: unknown) => {
        failed = true;
        throw err;
      }),
    );
    const results = await Promise.allSettled(lanes);
    const rejected = results.find((r) => r.status === "rejected");
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
  } finally {
    if (options.pool === undefined) pool.close();
  }
  return goodByBatch.flat();
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
