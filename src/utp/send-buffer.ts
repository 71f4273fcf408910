// Bytes written to a uTP connection and not yet packetised: chunks in, payloads of a chosen size out.
// Pure.

export class SendBuffer {
  readonly #chunks: Uint8Array[] = [];
  #head = 0;
  #headOffset = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Keeps `chunk` (the caller must not change it afterwards). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The next `n` bytes (n <= length), as a view when one chunk holds them, else a copy. */
  take(n: number): Uint8Array {
    const first = this.#chunks[this.#head]!;
    if (first.length - this.#headOffset >= n) {
      const out = first.subarray(this.#headOffset, this.#headOffset + n);
      this.#advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#head]!;
      const part = Math.min(n - filled, chunk.length - this.#headOffset);
      out.set(chunk.subarray(this.#headOffset, this.#headOffset + part), filled);
      filled += part;
      this.#advance(part);
    }
    return out;
  }

  clear(): void {
    this.#chunks.length = 0;
    this.#head = 0;
    this.#headOffset = 0;
    this.#length = 0;
  }

  #advance(n: number): void {
    this.#length -= n;
    this.#headOffset += n;
    if (this.#headOffset === this.#chunks[this.#head]!.length) {
      this.#head++;
      this.#headOffset = 0;
      if (this.#head === this.#chunks.length) {
        this.#chunks.length = 0;
        this.#head = 0;
      } else if (this.#head > 64) {
        this.#chunks.splice(0, this.#head);
        this.#head = 0;
      }
    }
  }
}
