// A growable FIFO of received bytes for the MSE/PE handshake state machines (mse.ts, mse-initiator.ts):
// chunks are appended, fields taken from the front; the store grows by doubling, no copy per chunk. Pure.

export class ByteQueue {
  /** Bytes not consumed yet: #store[#start, #end). */
  #store = new Uint8Array(1024);
  #start = 0;
  #end = 0;

  get length(): number {
    return this.#end - this.#start;
  }

  append(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#store.length) {
      const live = this.#end - this.#start;
      const needed = live + chunk.length;
      const store = 2 * needed <= this.#store.length ? this.#store : new Uint8Array(Math.max(1024, 2 * needed));
      store.set(this.#store.subarray(this.#start, this.#end), 0); // overlap-safe within one buffer
      this.#store = store;
      this.#start = 0;
      this.#end = live;
    }
    this.#store.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** The buffered bytes, as a view (valid until the next append). */
  view(): Uint8Array {
    return this.#store.subarray(this.#start, this.#end);
  }

  /** Consumes `n` buffered bytes; the view is valid until the next append. */
  take(n: number): Uint8Array {
    const out = this.#store.subarray(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }
}
