// Reply rate limiting for the DHT server: a token bucket per source IP plus one for all replies, so a
// flood (or a spoofed-source amplification attempt) costs us bounded upload and bounded memory.
// Pure; time comes in as `now`.

export interface ReplyLimits {
  /** Replies per second to one IP, and the burst it may use at once. */
  readonly perIpPerSecond: number;
  readonly perIpBurst: number;
  /** Replies per second over all IPs. */
  readonly totalPerSecond: number;
  /** IPs tracked at once; the least recently seen are forgotten beyond it. */
  readonly maxTrackedIps: number;
}

/** A busy public node gets a few queries a second from one IP; 20/s with a burst of 40 leaves room. */
export const DEFAULT_REPLY_LIMITS: ReplyLimits = { perIpPerSecond: 20, perIpBurst: 40, totalPerSecond: 1000, maxTrackedIps: 4096 };

interface Bucket {
  tokens: number;
  at: number;
}

export class ReplyLimiter {
  readonly #limits: ReplyLimits;
  readonly #perIp = new Map<string, Bucket>();
  readonly #total: Bucket;

  constructor(limits: ReplyLimits, now: number) {
    this.#limits = limits;
    this.#total = { tokens: limits.totalPerSecond, at: now };
  }

  get trackedIps(): number {
    return this.#perIp.size;
  }

  /** Takes one reply token for `ip`; false means drop the query unanswered. */
  allow(ip: string, now: number): boolean {
    const l = this.#limits;
    let bucket = this.#perIp.get(ip);
    if (bucket) this.#perIp.delete(ip); // re-inserted below: Map order is least recently seen first
    else {
      if (this.#perIp.size >= l.maxTrackedIps) this.#perIp.delete(this.#perIp.keys().next().value!);
      bucket = { tokens: l.perIpBurst, at: now };
    }
    this.#perIp.set(ip, bucket);
    refill(bucket, now, l.perIpPerSecond, l.perIpBurst);
    refill(this.#total, now, l.totalPerSecond, l.totalPerSecond);
    if (bucket.tokens < 1 || this.#total.tokens < 1) return false;
    bucket.tokens--;
    this.#total.tokens--;
    return true;
  }
}

function refill(bucket: Bucket, now: number, perSecond: number, cap: number): void {
  const elapsed = Math.max(0, now - bucket.at);
  bucket.tokens = Math.min(cap, bucket.tokens + (elapsed / 1000) * perSecond);
  bucket.at = now;
}
