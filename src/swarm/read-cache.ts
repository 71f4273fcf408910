// Read cache for uploads: whole verified pieces kept in a small LRU, so serving the consecutive blocks
// of a piece reads the disk once. Pure over a `readPiece` function (the storage does the I/O). The cache
// owns its buffers and reads into an evicted piece's buffer again: a seeder's reads make no garbage.

/** Reads piece `index` into `into` (a storage may return its own bytes instead). */
export type ReadPiece = (index: number, into: Uint8Array) => Uint8Array;

interface Entry {
  /** The piece's bytes. */
  view: Uint8Array;
  /** The buffer the cache gave the read (`view` lies in it unless the storage returned its own). */
  own: Uint8Array;
}

export class ReadCache {
  readonly #read: ReadPiece;
  readonly #maxBytes: number;
  readonly #pieceLength: number;
  /** Insertion order is recency order: a hit is deleted and re-inserted. */
  readonly #pieces = new Map<number, Entry>();
  /** Buffers of evicted pieces, for the next misses. */
  readonly #spare: Uint8Array[] = [];
  #bytes = 0;
  hits = 0;
  misses = 0;

  /** `pieceLength`: the torrent's (largest) piece length, the size of every buffer. */
  constructor(readPiece: ReadPiece, maxBytes: number, pieceLength: number) {
    this.#read = readPiece;
    this.#maxBytes = maxBytes;
    this.#pieceLength = pieceLength;
  }

  /** A view of `length` bytes at `begin` of piece `index`, valid until the next call (buffers are reused). */
  block(index: number, begin: number, length: number): Uint8Array {
    let entry = this.#pieces.get(index);
    if (entry) {
      this.hits++;
      this.#pieces.delete(index);
    } else {
      this.misses++;
      const own = this.#spare.pop() ?? new Uint8Array(this.#pieceLength);
      entry = { view: this.#read(index, own), own };
      this.#bytes += own.length;
    }
    this.#pieces.set(index, entry);
    this.#evict(index);
    return entry.view.subarray(begin, begin + length);
  }

  clear(): void {
    this.#pieces.clear();
    this.#spare.length = 0;
    this.#bytes = 0;
  }

  #evict(keep: number): void {
    for (const [index, entry] of this.#pieces) {
      if (this.#bytes <= this.#maxBytes || index === keep) break;
      this.#pieces.delete(index);
      this.#bytes -= entry.own.length;
      // Two spares cover the misses that follow an eviction; more would only hold memory.
      if (this.#spare.length < 2) this.#spare.push(entry.own);
    }
  }
}
