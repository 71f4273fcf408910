// Outbound byte queue of one connection: what socket.write could not take waits here until `drain`.
// Pure state over a `write` function, so it is testable without a socket.

/** Writes as much as the sink takes now; returns how many bytes were taken. */
export type WriteSink = (data: Uint8Array, offset: number, length: number) => number;

export class WriteQueue {
  readonly #sink: WriteSink;
  readonly #parts: Uint8Array[] = [];
  #head = 0;
  #headOffset = 0;
  #queuedBytes = 0;
  /**
   * The unsent rest of a transient push made while nothing was queued (an uploader's batch the socket
   * took part of) is copied here rather than into a new buffer. It is free again whenever nothing is
   * queued, since it can only be the queue's first part.
   */
  #spill = new Uint8Array(0);

  constructor(sink: WriteSink) {
    this.#sink = sink;
  }

  /** Bytes accepted but not yet taken by the socket. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Sends `data` now if nothing is queued, queueing what the socket does not take. `transient`: the
   * caller reuses `data` once this returns, so what waits is copied (the sink keeps no reference).
   */
  push(data: Uint8Array, transient = false): void {
    if (data.length === 0) return;
    if (this.#queuedBytes === 0) {
      const n = this.#sink(data, 0, data.length);
      if (n >= data.length) return;
      data = data.subarray(Math.max(0, n));
    }
    if (transient) data = this.#keep(data);
    this.#parts.push(data);
    this.#queuedBytes += data.length;
  }

  /** Called on `drain`: writes queued parts until the socket pushes back. */
  flush(): void {
    while (this.#head < this.#parts.length) {
      const part = this.#parts[this.#head]!;
      const remaining = part.length - this.#headOffset;
      const n = Math.max(0, this.#sink(part, this.#headOffset, remaining));
      this.#queuedBytes -= n;
      if (n < remaining) {
        this.#headOffset += n;
        break;
      }
      this.#head++;
      this.#headOffset = 0;
    }
    if (this.#head === this.#parts.length) {
      this.#parts.length = 0;
      this.#head = 0;
    } else if (this.#head > 64) {
      this.#parts.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** A copy of `data` the queue owns: in the spill buffer when nothing is queued (`data` goes first), else a new one. */
  #keep(data: Uint8Array): Uint8Array {
    if (this.#queuedBytes > 0) return data.slice();
    if (this.#spill.length < data.length) this.#spill = new Uint8Array(data.length);
    this.#spill.set(data);
    return this.#spill.subarray(0, data.length);
  }

  clear(): void {
    this.#parts.length = 0;
    this.#head = 0;
    this.#headOffset = 0;
    this.#queuedBytes = 0;
  }
}
