// Read cache for uploads: whole verified pieces kept in a small LRU, so serving the consecutive blocks
// of a piece reads the disk once. Pure over a `readPiece` function (the storage does the I/O).

export class ReadCache {
  readonly #read: (index: number) => Uint8Array;
  readonly #maxBytes: number;
  /** Insertion order is recency order: a hit is deleted and re-inserted. */
  readonly #pieces = new Map<number, Uint8Array>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readPiece: (index: number) => Uint8Array, maxBytes: number) {
    this.#read = readPiece;
    this.#maxBytes = maxBytes;
  }

  /** A view of `length` bytes at `begin` of piece `index`; buffers are never reused, so the view stays valid. */
  block(index: number, begin: number, length: number): Uint8Array {
    let piece = this.#pieces.get(index);
    if (piece) {
      this.hits++;
      this.#pieces.delete(index);
    } else {
      this.misses++;
      piece = this.#read(index);
      this.#bytes += piece.length;
    }
    this.#pieces.set(index, piece);
    this.#evict(index);
    return piece.subarray(begin, begin + length);
  }

  clear(): void {
    this.#pieces.clear();
    this.#bytes = 0;
  }

  #evict(keep: number): void {
    for (const [index, piece] of this.#pieces) {
      if (this.#bytes <= this.#maxBytes || index === keep) break;
      this.#pieces.delete(index);
      this.#bytes -= piece.length;
    }
  }
}
