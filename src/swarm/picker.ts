// Piece picker: rarest-first with random tie-break, started pieces first, endgame. Pure; no I/O.
// The torrent asks it for blocks to request from one peer and tells it what arrived or was released.

import { Bitfield } from "../wire/index.ts";
import { BLOCK_SIZE, pieceLengthAt, pieceSpans, type Metainfo } from "../metainfo/index.ts";
import { PieceState } from "./piece-state.ts";

export interface BlockRequest {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

/** Blocks per piece never exceed this (256 MiB pieces at most), so index * 2^14 + block is a unique key. */
const KEY_STRIDE = 16384;

export function blockKey(index: number, block: number): number {
  return index * KEY_STRIDE + block;
}

export function keyPiece(key: number): number {
  return Math.floor(key / KEY_STRIDE);
}

export function keyBlock(key: number): number {
  return key % KEY_STRIDE;
}

/** How often (ms) the rarest-first order may be rebuilt when availability changed. */
const REORDER_INTERVAL_MS = 1000;

export interface PickerOptions {
  pieceCount: number;
  pieceLengthAt(index: number): number;
  /** Most pieces in progress at once (the in-flight memory budget divided by the piece length). */
  maxInProgress: number;
  /** Pieces to download (a file selection); default every piece. */
  wanted?: Bitfield;
  random?: () => number;
}

export class Picker {
  readonly have: Bitfield;
  readonly availability: Uint16Array;
  readonly inProgress = new Map<number, PieceState>();
  /** Buffers of verified pieces, ready for reuse. */
  readonly #spare: Uint8Array[] = [];
  readonly #opts: PickerOptions;
  readonly #random: () => number;
  #order: Int32Array = new Int32Array(0);
  #cursor = 0;
  #dirty = true;
  #orderedAt = -Infinity;
  readonly wanted: Bitfield;
  /** Wanted pieces not verified yet. */
  #missing: number;

  constructor(opts: PickerOptions, have?: Bitfield) {
    this.#opts = opts;
    this.#random = opts.random ?? Math.random;
    this.have = have ?? new Bitfield(opts.pieceCount);
    this.wanted = opts.wanted ?? Bitfield.full(opts.pieceCount);
    this.availability = new Uint16Array(opts.pieceCount);
    let missing = 0;
    for (let i = 0; i < opts.pieceCount; i++) if (this.wanted.has(i) && !this.have.has(i)) missing++;
    this.#missing = missing;
  }

  /** Wanted pieces not verified yet (0 = the download is complete). */
  get missing(): number {
    return this.#missing;
  }

  /** Wanted pieces neither verified nor in progress. */
  get notStarted(): number {
    return this.#missing - this.inProgress.size;
  }

  /** Endgame: every missing piece is in progress, so outstanding blocks may be requested twice. */
  get endgame(): boolean {
    return this.notStarted === 0 && this.inProgress.size > 0;
  }

  addAvailability(peerHas: Bitfield): void {
    for (let i = 0; i < this.#opts.pieceCount; i++) if (peerHas.has(i)) this.availability[i]!++;
    this.#dirty = true;
  }

  removeAvailability(peerHas: Bitfield): void {
    for (let i = 0; i < this.#opts.pieceCount; i++) if (peerHas.has(i) && this.availability[i]! > 0) this.availability[i]!--;
    this.#dirty = true;
  }

  addHave(index: number): void {
    this.availability[index]!++;
    this.#dirty = true;
  }

  /**
   * Picks up to `count` blocks to request from a peer that has `peerHas`.
   * `isMine(key)` tells whether this peer already requested a block (to avoid endgame duplicates).
   */
  pick(peerHas: Bitfield, count: number, now: number, isMine: (key: number) => boolean): BlockRequest[] {
    const out: BlockRequest[] = [];
    for (const piece of this.inProgress.values()) {
      if (out.length >= count) return out;
      if (peerHas.has(piece.index)) this.#takeFree(piece, out, count);
    }
    while (out.length < count && this.inProgress.size < this.#opts.maxInProgress) {
      const piece = this.#startRarest(peerHas, now);
      if (!piece) break;
      this.#takeFree(piece, out, count);
    }
    if (out.length < count && this.endgame) {
      // Blocks picked a moment ago in this call are this peer's too, though not yet in its request set.
      const picked = new Set(out.map((b) => blockKey(b.index, b.begin / BLOCK_SIZE)));
      this.#takeEndgame(peerHas, out, count, (key) => picked.has(key) || isMine(key));
    }
    return out;
  }

  /**
   * A run of up to `maxPieces` consecutive pieces for a source holding `has` that fetches whole pieces
   * (a BEP 19 web seed): it starts at the rarest free piece (pieces no peer has first; among equals the
   * first found from a random start, so hosts sharing an origin spread out) and goes on while the next
   * piece is free too. Free = wanted, not
   * verified, and not started, or started and then left untouched (a failed request released it). Every
   * block of the run is marked requested, so peers leave it alone outside endgame.
   */
  startRun(has: Bitfield, maxPieces: number): PieceState[] {
    const n = this.#opts.pieceCount;
    const free = (i: number): boolean => {
      if (this.have.has(i) || !this.wanted.has(i) || !has.has(i)) return false;
      const piece = this.inProgress.get(i);
      return piece === undefined || (piece.receivedCount === 0 && piece.requested.every((r) => r === 0));
    };
    // From a random start, so that hosts fetching from one origin at once ask it for different runs.
    const start = Math.floor(this.#random() * n);
    let first = -1;
    for (let k = 0, best = Infinity; k < n && best > 0; k++) {
      const i = (start + k) % n;
      if (this.availability[i]! < best && free(i)) {
        best = this.availability[i]!;
        first = i;
      }
    }
    const run: PieceState[] = [];
    for (let i = first; i >= 0 && i < n && run.length < maxPieces && free(i); i++) {
      const piece = this.inProgress.get(i) ?? (this.inProgress.size < this.#opts.maxInProgress ? this.#begin(i) : undefined);
      if (!piece) break;
      piece.requested.fill(1);
      piece.firstFree = piece.blocks;
      run.push(piece);
    }
    return run;
  }

  /** A requested block was not delivered (choke, reject, timeout, disconnect): back to the pool. */
  release(index: number, block: number): void {
    this.inProgress.get(index)?.release(block);
  }

  /**
   * Records a verified piece (downloaded or found on disk). Its buffer is recycled for the next piece,
   * so in-flight memory stays at maxInProgress buffers instead of one garbage buffer per piece.
   */
  markVerified(index: number): void {
    if (this.have.set(index) && this.wanted.has(index)) this.#missing--;
    const piece = this.inProgress.get(index);
    if (!piece) return;
    this.inProgress.delete(index);
    if (this.#spare.length < this.#opts.maxInProgress) this.#spare.push(piece.buffer);
  }

  /** A piece failed its hash: it goes back to the pool whole. */
  markFailed(index: number): void {
    const piece = this.inProgress.get(index);
    if (piece) piece.reset();
  }

  #takeFree(piece: PieceState, out: BlockRequest[], count: number): void {
    let b = piece.firstFree;
    while (b < piece.blocks && out.length < count) {
      if (!piece.requested[b] && !piece.received[b]) {
        piece.requested[b] = 1;
        out.push({ index: piece.index, begin: b * BLOCK_SIZE, length: piece.blockLength(b) });
      }
      b++;
    }
    // Everything below b is now requested or received.
    piece.firstFree = b;
  }

  #takeEndgame(peerHas: Bitfield, out: BlockRequest[], count: number, isMine: (key: number) => boolean): void {
    for (const piece of this.inProgress.values()) {
      if (!peerHas.has(piece.index)) continue;
      for (let b = 0; b < piece.blocks && out.length < count; b++) {
        if (piece.received[b] || isMine(blockKey(piece.index, b))) continue;
        piece.requested[b]!++;
        out.push({ index: piece.index, begin: b * BLOCK_SIZE, length: piece.blockLength(b) });
      }
      if (out.length >= count) return;
    }
  }

  #startRarest(peerHas: Bitfield, now: number): PieceState | undefined {
    if (this.#dirty && (now - this.#orderedAt >= REORDER_INTERVAL_MS || this.#cursor >= this.#order.length)) {
      this.#rebuildOrder(now);
    }
    const order = this.#order;
    // Skip the prefix that is done or started for everyone, so repeated picks stay cheap.
    while (this.#cursor < order.length) {
      const i = order[this.#cursor]!;
      if (!this.have.has(i) && !this.inProgress.has(i) && this.wanted.has(i)) break;
      this.#cursor++;
    }
    for (let k = this.#cursor; k < order.length; k++) {
      const i = order[k]!;
      if (this.have.has(i) || this.inProgress.has(i) || !peerHas.has(i) || !this.wanted.has(i)) continue;
      return this.#begin(i);
    }
    return undefined;
  }

  /** Puts piece `i` in progress, in a recycled buffer when one is big enough. */
  #begin(i: number): PieceState {
    const length = this.#opts.pieceLengthAt(i);
    const spare = this.#spare.length > 0 && this.#spare[this.#spare.length - 1]!.buffer.byteLength >= length ? this.#spare.pop() : undefined;
    const piece = new PieceState(i, length, spare && new Uint8Array(spare.buffer, 0, spare.buffer.byteLength));
    this.inProgress.set(i, piece);
    return piece;
  }

  #rebuildOrder(now: number): void {
    const missing: number[] = [];
    for (let i = 0; i < this.#opts.pieceCount; i++) if (!this.have.has(i) && !this.inProgress.has(i) && this.wanted.has(i)) missing.push(i);
    const tie = new Float64Array(this.#opts.pieceCount);
    for (const i of missing) tie[i] = this.#random();
    const avail = this.availability;
    missing.sort((a, b) => avail[a]! - avail[b]! || tie[a]! - tie[b]!);
    this.#order = Int32Array.from(missing);
    this.#cursor = 0;
    this.#dirty = false;
    this.#orderedAt = now;
  }
}

/** Pieces holding bytes of at least one selected, non-empty file: what a download with a selection fetches. */
export function wantedPieces(meta: Metainfo, selected: readonly boolean[]): Bitfield {
  const wanted = new Bitfield(meta.pieceCount);
  for (let i = 0; i < meta.pieceCount; i++) {
    if (pieceSpans(meta, i).some((s) => selected[s.fileIndex] && !s.file.isPad)) wanted.set(i);
  }
  return wanted;
}

/** Bytes of the wanted pieces (the whole torrent unless files are deselected). */
export function wantedPieceBytes(meta: Metainfo, wanted: Bitfield): number {
  let bytes = 0;
  for (let i = 0; i < meta.pieceCount; i++) if (wanted.has(i)) bytes += pieceLengthAt(meta, i);
  return bytes;
}
