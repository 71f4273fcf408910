// Transfer rate meter: bytes counted as they move, smoothed once per tick. Pure.

export class RateMeter {
  #windowBytes = 0;
  #rate = 0;
  #total = 0;

  add(bytes: number): void {
    this.#windowBytes += bytes;
    this.#total += bytes;
  }

  /** Closes a window of `elapsedMs` and updates the smoothed bytes-per-second rate. */
  tick(elapsedMs: number): void {
    const instant = elapsedMs > 0 ? (this.#windowBytes * 1000) / elapsedMs : 0;
    // Half-life of one tick: responsive enough to size request queues, smooth enough to display.
    this.#rate = this.#rate === 0 ? instant : this.#rate * 0.5 + instant * 0.5;
    this.#windowBytes = 0;
  }

  get bytesPerSec(): number {
    return this.#rate;
  }

  get totalBytes(): number {
    return this.#total;
  }
}
