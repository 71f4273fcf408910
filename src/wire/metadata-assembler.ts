// Assembles the info dict of a magnet download from ut_metadata pieces sent by several peers (BEP 9),
// checks it against the infoHash, and decides which size to trust when peers disagree.
// Pure state machine; no I/O, no timers: the caller releases a reservation when its request times out.

import { bytesEqual, sha1, sha256 } from "../util/index.ts";
import { MAX_METADATA_SIZE, METADATA_PIECE_SIZE, metadataPieceCount, metadataPieceLength } from "./ut-metadata.ts";

/** What became of a received piece. */
export type MetadataReceiveResult =
  /** Stored; `remaining` pieces are still missing. */
  | { kind: "accepted"; remaining: number }
  /** Not stored, and not the peer's fault: late, duplicate, after a size change, or already complete. */
  | { kind: "ignored"; reason: string }
  /** Not stored: the block does not fit the piece we asked this peer for; the peer misbehaves. */
  | { kind: "invalid"; reason: string }
  /** All pieces are in and their SHA-1 is the infoHash. */
  | { kind: "complete"; infoBytes: Uint8Array }
  /**
   * All pieces were in but their SHA-1 is not the infoHash: everything was discarded and assembly starts
   * again at `nextSize`. `peers` contributed to the bad copy (one or more of them sent bad bytes).
   */
  | { kind: "mismatch"; peers: string[]; size: number; nextSize: number };

export interface MetadataAssemblerOptions {
  /** Pieces one peer may have reserved at once, so requests spread over peers (default 4). */
  maxRequestsPerPeer?: number;
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_METADATA_SIZE) {
    throw new RangeError(`metadata size out of range: ${size} (expected 1-${MAX_METADATA_SIZE})`);
  }
}

/**
 * Collects the metadata pieces of one infoHash. Peers are keyed by a caller-chosen string (e.g.
 * "127.0.0.1:6881"). Only peers registered with addPeer, whose advertised `metadata_size` equals the
 * size being assembled, get pieces to request, and only a piece reserved by a peer is accepted from it.
 */
export class MetadataAssembler {
  readonly infoHash: Uint8Array;
  readonly #maxPerPeer: number;
  /** Each peer's advertised metadata_size. */
  readonly #votes = new Map<string, number>();
  /** Order in which each size was first heard of: ties between sizes go to the earlier one. */
  readonly #firstSeen = new Map<number, number>();
  /** Hash failures per size. */
  readonly #failures = new Map<number, number>();
  #size: number;
  #buffer: Uint8Array | undefined;
  #have = new Uint8Array(0);
  #haveCount = 0;
  /** piece -> peers that reserved it (more than one only when every missing piece is already reserved). */
  #reservations = new Map<number, Set<string>>();
  #rejected = new Map<string, Set<number>>();
  #contributors = new Set<string>();
  #done: Uint8Array | undefined;

  /** `size` is the first size to assemble (a peer's metadata_size); peers' votes may replace it before any piece arrives. */
  constructor(infoHash: Uint8Array, size: number, options: MetadataAssemblerOptions = {}) {
    if (infoHash.length !== 20) throw new RangeError(`info hash must be 20 bytes, got ${infoHash.length}`);
    checkSize(size);
    this.infoHash = infoHash.slice();
    this.#maxPerPeer = options.maxRequestsPerPeer ?? 4;
    this.#firstSeen.set(size, 0);
    this.#size = size;
    this.#reset();
  }

  /** The size being assembled. */
  get size(): number {
    return this.#size;
  }

  get pieceCount(): number {
    return metadataPieceCount(this.#size);
  }

  /** Pieces still missing in the current attempt. */
  get remaining(): number {
    return this.pieceCount - this.#haveCount;
  }

  /** The verified info dict once complete, else undefined. */
  get infoBytes(): Uint8Array | undefined {
    return this.#done;
  }

  get isComplete(): boolean {
    return this.#done !== undefined;
  }

  /**
   * Registers a peer and the metadata_size from its extended handshake (again when it changes). Until a
   * piece has been received, the most common size among peers becomes the size to assemble.
   */
  addPeer(peerKey: string, metadataSize: number): void {
    checkSize(metadataSize);
    if (this.#votes.get(peerKey) !== metadataSize) this.#releasePeer(peerKey);
    this.#votes.set(peerKey, metadataSize);
    if (!this.#firstSeen.has(metadataSize)) this.#firstSeen.set(metadataSize, this.#firstSeen.size);
    if (this.#haveCount === 0) this.#switchTo(this.#bestSize());
  }

  /** Forgets a peer (disconnected or banned): its vote and its reservations. */
  removePeer(peerKey: string): void {
    this.#releasePeer(peerKey);
    this.#votes.delete(peerKey);
    this.#rejected.delete(peerKey);
    if (this.#haveCount === 0) this.#switchTo(this.#bestSize());
  }

  /**
   * Reserves a piece for `peerKey` to request, or undefined when it should not ask now: unknown peer, a
   * different size, already holding maxRequestsPerPeer, or nothing left. Unreserved pieces come first;
   * when every missing piece is reserved, one is shared with another peer (the first answer wins).
   */
  nextPieceToRequest(peerKey: string): number | undefined {
    if (this.#done !== undefined || this.#votes.get(peerKey) !== this.#size) return undefined;
    let held = 0;
    for (const peers of this.#reservations.values()) if (peers.has(peerKey)) held++;
    if (held >= this.#maxPerPeer) return undefined;
    const rejected = this.#rejected.get(peerKey);
    let best: number | undefined;
    let bestLoad = Infinity;
    for (let piece = 0; piece < this.#have.length; piece++) {
      if (this.#have[piece] || rejected?.has(piece)) continue;
      const peers = this.#reservations.get(piece);
      if (peers?.has(peerKey)) continue;
      const load = peers?.size ?? 0;
      if (load < bestLoad) [best, bestLoad] = [piece, load];
      if (load === 0) break;
    }
    if (best === undefined) return undefined;
    const peers = this.#reservations.get(best) ?? new Set<string>();
    peers.add(peerKey);
    this.#reservations.set(best, peers);
    return best;
  }

  /** Drops a reservation (the request timed out); the piece goes to the next peer that asks. */
  release(peerKey: string, piece: number): void {
    const peers = this.#reservations.get(piece);
    peers?.delete(peerKey);
    if (peers?.size === 0) this.#reservations.delete(piece);
  }

  /** The peer answered with reject: release, and do not offer it this piece again in this attempt. */
  rejected(peerKey: string, piece: number): void {
    this.release(peerKey, piece);
    const set = this.#rejected.get(peerKey) ?? new Set<number>();
    set.add(piece);
    this.#rejected.set(peerKey, set);
  }

  /** Stores a data block (the view may be reused by the caller: it is copied). See MetadataReceiveResult. */
  receive(piece: number, block: Uint8Array, fromPeerKey: string): MetadataReceiveResult {
    if (this.#done !== undefined) return { kind: "ignored", reason: "metadata already complete" };
    if (!this.#reservations.get(piece)?.has(fromPeerKey)) {
      return { kind: "ignored", reason: `metadata piece ${piece} is not reserved by ${fromPeerKey} (late, duplicate or unrequested)` };
    }
    this.release(fromPeerKey, piece);
    const expected = metadataPieceLength(this.#size, piece);
    if (block.length !== expected) {
      return { kind: "invalid", reason: `metadata piece ${piece} has ${block.length} bytes, expected ${expected} for a size of ${this.#size}` };
    }
    this.#buffer ??= new Uint8Array(this.#size);
    this.#buffer.set(block, piece * METADATA_PIECE_SIZE);
    this.#have[piece] = 1;
    this.#haveCount++;
    this.#reservations.delete(piece);
    this.#contributors.add(fromPeerKey);
    if (this.#haveCount < this.#have.length) return { kind: "accepted", remaining: this.remaining };

    const data = this.#buffer;
    // BEP 52: a v2 torrent's info hash on the wire is its SHA-256 truncated to 20 bytes.
    if (bytesEqual(sha1(data), this.infoHash) || bytesEqual(sha256(data).subarray(0, 20), this.infoHash)) {
      this.#done = data;
      this.#reservations.clear();
      return { kind: "complete", infoBytes: data };
    }
    const size = this.#size;
    const peers = [...this.#contributors];
    this.#failures.set(size, (this.#failures.get(size) ?? 0) + 1);
    this.#reset();
    this.#switchTo(this.#bestSize());
    return { kind: "mismatch", peers, size, nextSize: this.#size };
  }

  /** Among the sizes peers advertise: fewest hash failures, then most peers, then heard of first. */
  #bestSize(): number {
    const votes = new Map<number, number>();
    for (const size of this.#votes.values()) votes.set(size, (votes.get(size) ?? 0) + 1);
    const rank = (size: number): number[] => [this.#failures.get(size) ?? 0, -votes.get(size)!, this.#firstSeen.get(size)!];
    const better = (a: number[], b: number[]): boolean => {
      const i = a.findIndex((v, j) => v !== b[j]);
      return i >= 0 && a[i]! < b[i]!;
    };
    let best: number | undefined;
    for (const size of votes.keys()) if (best === undefined || better(rank(size), rank(best))) best = size;
    return best ?? this.#size;
  }

  #switchTo(size: number): void {
    if (size === this.#size) return;
    this.#size = size;
    this.#reset();
  }

  /** Starts an attempt from nothing at the current size; requests in flight will be ignored when they land. */
  #reset(): void {
    this.#buffer = undefined;
    this.#have = new Uint8Array(metadataPieceCount(this.#size));
    this.#haveCount = 0;
    this.#reservations = new Map();
    this.#rejected = new Map();
    this.#contributors = new Set();
  }

  #releasePeer(peerKey: string): void {
    for (const piece of [...this.#reservations.keys()]) this.release(peerKey, piece);
  }
}
