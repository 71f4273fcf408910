// Token bucket for --max-upload-rate / --max-download-rate: bytes refill at a steady rate up to a burst.
// Pure: time comes in as `now` (ms).

export class TokenBucket {
  readonly bytesPerSec: number;
  readonly burstBytes: number;
  #tokens: number;
  #at: number;

  /** A bucket starting full; the burst defaults to a quarter second of rate, at least one 16 KiB block. */
  constructor(bytesPerSec: number, now: number, burstBytes = Math.max(16_384, bytesPerSec / 4)) {
    if (!(bytesPerSec > 0)) throw new RangeError(`rate must be positive, got ${bytesPerSec}`);
    this.bytesPerSec = bytesPerSec;
    this.burstBytes = burstBytes;
    this.#tokens = burstBytes;
    this.#at = now;
  }

  #refill(now: number): void {
    if (now > this.#at) {
      this.#tokens = Math.min(this.burstBytes, this.#tokens + ((now - this.#at) * this.bytesPerSec) / 1000);
      this.#at = now;
    }
  }

  /** Takes `bytes` if the bucket holds them (a debt is allowed for one item larger than the burst). */
  tryTake(bytes: number, now: number): boolean {
    this.#refill(now);
    if (this.#tokens < Math.min(bytes, this.burstBytes)) return false;
    this.#tokens -= bytes;
    return true;
  }

  /** Tokens held now (may be negative after a debt). */
  available(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  /** Takes `bytes` unconditionally (after checking `available`); the bucket may go into debt. */
  take(bytes: number, now: number): void {
    this.#refill(now);
    this.#tokens -= bytes;
  }

  /** Milliseconds until `bytes` can be taken (0 = now). */
  waitMs(bytes: number, now: number): number {
    this.#refill(now);
    const missing = Math.min(bytes, this.burstBytes) - this.#tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.bytesPerSec);
  }
}
