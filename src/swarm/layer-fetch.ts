// BEP 52 piece layers of a v2 torrent added by magnet link: which hash requests are still owed, which
// peer has which, and each file's layer checked against its pieces root once all its ranges are in.
// Pure state (time comes in as `now`); metadata-fetch.ts sends and receives the messages.

import { MERKLE_HASH_LENGTH, pieceLayerRequests, rootFromPieceLayer, type MerkleRange, type Metainfo } from "../metainfo/index.ts";
import { toHex } from "../util/index.ts";

/** Hash requests in flight to one peer at once. */
const PER_PEER = 4;

interface Owed {
  readonly req: MerkleRange;
  peer?: string;
  at?: number;
  /** Peers that answered with a reject, or whose hashes failed the root (asked again only as a last resort). */
  readonly avoid: Set<string>;
}

interface FileLayer {
  readonly pieces: number;
  readonly padded: Uint8Array;
  readonly requests: MerkleRange[];
  /** Who sent each range in (by index), for blame when the layer does not hash to the root. */
  readonly senders: Map<number, string>;
}

const keyOf = (req: Pick<MerkleRange, "piecesRoot" | "index">) => `${toHex(req.piecesRoot)}:${req.index}`;

export class PieceLayerFetch {
  readonly #pieceLength: number;
  readonly #owed = new Map<string, Owed>();
  readonly #files = new Map<string, FileLayer>();
  readonly #done = new Map<string, Uint8Array>();

  constructor(meta: Metainfo) {
    this.#pieceLength = meta.pieceLength;
    const lengths = new Map(meta.v2?.files.map((f) => [f.piecesRoot ? toHex(f.piecesRoot) : "", f.lengthBytes]));
    for (const req of pieceLayerRequests(meta)) {
      const hex = toHex(req.piecesRoot);
      this.#owed.set(keyOf(req), { req, avoid: new Set() });
      let file = this.#files.get(hex);
      if (!file) {
        const pieces = Math.ceil(lengths.get(hex)! / meta.pieceLength);
        const width = 2 ** Math.ceil(Math.log2(pieces));
        this.#files.set(hex, (file = { pieces, padded: new Uint8Array(width * MERKLE_HASH_LENGTH), requests: [], senders: new Map() }));
      }
      file.requests.push(req);
    }
  }

  get done(): boolean {
    return this.#owed.size === 0;
  }

  /** The next request to send `peer`, if it may have one more in flight. */
  next(peer: string, now: number): MerkleRange | undefined {
    let inFlight = 0;
    for (const o of this.#owed.values()) if (o.peer === peer) inFlight++;
    if (inFlight >= PER_PEER) return undefined;
    const free = [...this.#owed.values()].filter((o) => o.peer === undefined);
    // A peer to avoid gets a range only when every other peer that could have it was tried too.
    const pick = free.find((o) => !o.avoid.has(peer)) ?? free.find((o) => o.avoid.size > 0 && o.avoid.has(peer) && o.avoid.size === 1);
    if (!pick) return undefined;
    pick.peer = peer;
    pick.at = now;
    return pick.req;
  }

  /**
   * A `hashes` answer. "accepted": a range we owed (its file's layer, once complete, hashed to the root);
   * "bad": the file's completed layer did not hash to its root (every range of it is owed again, and
   * `blame` lists who sent them); "ignored": nothing we asked for.
   */
  onHashes(peer: string, req: MerkleRange, hashes: Uint8Array): { result: "accepted" | "ignored" } | { result: "bad"; blame: string[] } {
    const owed = this.#owed.get(keyOf(req));
    const file = this.#files.get(toHex(req.piecesRoot));
    if (!owed || !file || owed.req.length !== req.length || owed.req.baseLayer !== req.baseLayer) return { result: "ignored" };
    if (hashes.length < req.length * MERKLE_HASH_LENGTH) return { result: "ignored" };
    file.padded.set(hashes.subarray(0, req.length * MERKLE_HASH_LENGTH), req.index * MERKLE_HASH_LENGTH);
    file.senders.set(req.index, peer);
    this.#owed.delete(keyOf(req));
    if (file.requests.some((r) => this.#owed.has(keyOf(r)))) return { result: "accepted" };
    const layer = file.padded.slice(0, file.pieces * MERKLE_HASH_LENGTH);
    if (toHex(rootFromPieceLayer(layer, this.#pieceLength)) === toHex(req.piecesRoot)) {
      this.#done.set(toHex(req.piecesRoot), layer);
      return { result: "accepted" };
    }
    const blame = [...new Set(file.senders.values())];
    for (const r of file.requests) this.#owed.set(keyOf(r), { req: r, avoid: new Set(blame) });
    file.senders.clear();
    return { result: "bad", blame };
  }

  onReject(peer: string, req: MerkleRange): void {
    const owed = this.#owed.get(keyOf(req));
    if (!owed || owed.peer !== peer) return;
    owed.peer = undefined;
    owed.avoid.add(peer);
  }

  /** A peer left (`peer`), or requests older than `timeoutMs` (`peer` undefined): their ranges are owed again. */
  release(peer: string | undefined, now = 0, timeoutMs = 0): void {
    for (const o of this.#owed.values()) {
      if (o.peer === undefined) continue;
      if (peer !== undefined ? o.peer === peer : now - o.at! >= timeoutMs) o.peer = undefined;
    }
  }

  /** The piece layers by hex pieces root, each checked against its root; complete once `done`. */
  layers(): Map<string, Uint8Array> {
    return new Map(this.#done);
  }
}
