// Blame for pieces that fail their hash: remember who sent each block of a failed piece and, once the
// piece verifies, ban the peers whose blocks differed from the good data. Pure (hashing only).

import { BLOCK_SIZE } from "../metainfo/index.ts";
import { bytesEqual, sha1 } from "../util/index.ts";
import type { PieceState } from "./piece-state.ts";

/** Failed pieces a single peer may be the only source of before it is banned without proof. */
export const SOLE_SOURCE_FAILURES_TO_BAN = 2;
/**
 * Source keys of BEP 19 web seeds start with this. A web seed sends whole pieces over HTTP, where nothing
 * can garble them on the way, so one piece of its own that fails the hash is enough to ban it.
 */
export const WEB_SEED_SOURCE_PREFIX = "web seed ";

export class SmartBan {
  /** piece index -> per block: source and digest of the bad data. */
  readonly #failed = new Map<number, { source: string; digest: Uint8Array }[]>();
  readonly #soleFailures = new Map<string, number>();

  /** Records a failed piece; returns peers to ban at once (sole sources of repeated failures). */
  onFailed(piece: PieceState): string[] {
    const records: { source: string; digest: Uint8Array }[] = [];
    const sources = new Set<string>();
    for (let b = 0; b < piece.blocks; b++) {
      const source = piece.sources[b];
      if (source === undefined) continue;
      sources.add(source);
      records[b] = { source, digest: sha1(blockOf(piece.buffer, b, piece.lengthBytes)) };
    }
    // Keep the first failure's record: a later pass compares the good bytes against it.
    if (!this.#failed.has(piece.index)) this.#failed.set(piece.index, records);
    if (sources.size !== 1) return [];
    const [only] = sources;
    const n = (this.#soleFailures.get(only!) ?? 0) + 1;
    this.#soleFailures.set(only!, n);
    return n >= SOLE_SOURCE_FAILURES_TO_BAN || only!.startsWith(WEB_SEED_SOURCE_PREFIX) ? [only!] : [];
  }

  /** A piece verified: returns the peers whose earlier blocks of it were wrong. */
  onVerified(index: number, good: Uint8Array): string[] {
    const records = this.#failed.get(index);
    if (!records) return [];
    this.#failed.delete(index);
    const culprits = new Set<string>();
    records.forEach((r, b) => {
      if (r && !bytesEqual(r.digest, sha1(blockOf(good, b, good.length)))) culprits.add(r.source);
    });
    return [...culprits];
  }
}

function blockOf(buffer: Uint8Array, block: number, length: number): Uint8Array {
  return buffer.subarray(block * BLOCK_SIZE, Math.min(length, (block + 1) * BLOCK_SIZE));
}
