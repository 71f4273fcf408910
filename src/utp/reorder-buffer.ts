// uTP packets received ahead of a gap (BEP 29), held by sequence number under a byte cap until the gap
// fills. Pure.

export class ReorderBuffer {
  readonly #packets = new Map<number, Uint8Array>();
  readonly #capBytes: number;
  #bytes = 0;

  constructor(capBytes: number) {
    this.#capBytes = capBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#packets.size;
  }

  /** Sequence numbers held (for the selective ack). */
  seqs(): IterableIterator<number> {
    return this.#packets.keys();
  }

  /** Keeps a copy of `payload`; false when it is held already or would pass the cap (the peer resends). */
  hold(seq: number, payload: Uint8Array): boolean {
    if (this.#packets.has(seq) || this.#bytes + payload.length > this.#capBytes) return false;
    this.#packets.set(seq, payload.slice());
    this.#bytes += payload.length;
    return true;
  }

  /** Removes and returns what is held for `seq`. */
  take(seq: number): Uint8Array | undefined {
    const payload = this.#packets.get(seq);
    if (payload === undefined) return undefined;
    this.#packets.delete(seq);
    this.#bytes -= payload.length;
    return payload;
  }

  clear(): void {
    this.#packets.clear();
    this.#bytes = 0;
  }
}
