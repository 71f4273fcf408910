// uTP congestion control (BEP 29): LEDBAT's delay-based window with a base delay history, halving on
// congestive loss, slow start, and the RTT/RTO estimate. Pure: every method takes the time it is called at.

/** BEP 29 / libtorrent: the queuing delay LEDBAT aims for. */
export const TARGET_DELAY_US = 100_000;
/** BEP 29: most the window grows per round trip at zero delay (libtorrent's utp_gain_factor). */
export const MAX_CWND_INCREASE_BYTES_PER_RTT = 3000;
/**
 * Ours: on long fat links the gain is at least this share of the window per round trip, so a window
 * halved at 100 Mbit/s and 50 ms comes back in seconds, not minutes. It shrinks at the same pace when
 * the delay is over the target, so the delay still governs.
 */
export const GAIN_WINDOW_SHARE = 1 / 8;
/**
 * Ours: a loss halves the window when the queuing delay is at least half the target (a queue is
 * overflowing) or when losses are frequent (this share of recent packets, as a moving average over
 * ~32 packets). A rare loss on a path without queuing (a lossy radio or WAN link) is resent without
 * cutting the window: the delay is LEDBAT's congestion signal.
 */
export const CONGESTIVE_LOSS_RATE = 0.08;
const LOSS_AVERAGE_WEIGHT = 1 / 32;
/** The window's cap: enough for 100 Mbit/s at 80 ms of round trip. */
export const MAX_WINDOW_BYTES = 1 << 20;
/** BEP 29: the base delay is the lowest delay seen over the last two minutes (kept as one minimum per minute). */
const BASE_DELAY_BUCKET_MS = 60_000;
const BASE_DELAY_BUCKETS = 2;
/** BEP 29: the retransmission timeout never goes below 500 ms, and starts at 1 s. */
export const MIN_RTO_MS = 500;
export const INITIAL_RTO_MS = 1000;
/** Backed-off timeouts stop doubling here. */
export const MAX_RTO_MS = 30_000;

export class Congestion {
  readonly packetBytes: number;
  /** Congestion window: bytes that may be in flight. */
  windowBytes: number;
  slowStart = true;
  #ssthreshBytes = MAX_WINDOW_BYTES;
  /** One minimum of delay samples per minute, newest last (microseconds, modulo 2^32). */
  readonly #baseDelays: number[] = [];
  #bucketStartMs = -Infinity;
  /** Latest queuing delay estimate (sample - base), microseconds. */
  ourDelayUs = 0;
  /** Moving average of packets lost (1) or acknowledged (0). */
  lossRate = 0;

  constructor(packetBytes: number, initialPackets = 4) {
    this.packetBytes = packetBytes;
    this.windowBytes = packetBytes * initialPackets;
  }

  /** The lowest one-way delay sample in the history (microseconds, modulo 2^32). */
  get baseDelayUs(): number | undefined {
    let base: number | undefined;
    for (const d of this.#baseDelays) if (base === undefined || wrapLess(d, base)) base = d;
    return base;
  }

  /**
   * Bytes newly acknowledged by a packet whose timestamp difference (the one-way delay of our packets, on
   * the peer's clock minus ours) was `delaySampleUs`. `minRttMs` clamps the queuing delay: a one-way delay
   * above the round trip is clock drift, not queuing.
   */
  onAck(ackedBytes: number, delaySampleUs: number, nowMs: number, minRttMs = Infinity): void {
    if (ackedBytes <= 0) return;
    this.lossRate *= (1 - LOSS_AVERAGE_WEIGHT) ** Math.ceil(ackedBytes / this.packetBytes);
    if (delaySampleUs !== 0) this.#addDelaySample(delaySampleUs >>> 0, nowMs);
    const base = this.baseDelayUs;
    const queuing = base === undefined ? 0 : (delaySampleUs - base) >>> 0;
    this.ourDelayUs = queuing > 0x7fffffff ? 0 : Math.min(queuing, minRttMs * 1000);
    if (this.slowStart) {
      if (this.ourDelayUs > TARGET_DELAY_US * 0.9) this.slowStart = false;
      else {
        this.windowBytes += ackedBytes;
        if (this.windowBytes >= this.#ssthreshBytes) this.slowStart = false;
        this.#clamp();
        return;
      }
    }
    // BEP 29: window += GAIN * (target - delay) / target * acked / window (off target clamped to -1).
    const offTarget = Math.max(-1, (TARGET_DELAY_US - this.ourDelayUs) / TARGET_DELAY_US);
    const gain = Math.max(MAX_CWND_INCREASE_BYTES_PER_RTT, this.windowBytes * GAIN_WINDOW_SHARE);
    this.windowBytes += (gain * offTarget * ackedBytes) / this.windowBytes;
    this.#clamp();
  }

  /** A packet was lost (three duplicate acks, or three later packets acknowledged). */
  onPacketLost(): void {
    this.lossRate = this.lossRate * (1 - LOSS_AVERAGE_WEIGHT) + LOSS_AVERAGE_WEIGHT;
  }

  /** Whether the losses seen now mean congestion (see CONGESTIVE_LOSS_RATE). */
  get lossIsCongestive(): boolean {
    return this.ourDelayUs >= TARGET_DELAY_US / 2 || this.lossRate >= CONGESTIVE_LOSS_RATE;
  }

  /** Congestive loss: halve the window (once per window of data; the connection sees to that). */
  onLoss(): void {
    this.windowBytes = this.windowBytes / 2;
    this.#ssthreshBytes = Math.max(this.windowBytes, this.packetBytes * 2);
    this.slowStart = false;
    this.#clamp();
  }

  /** The retransmission timer fired: one packet, then slow start up to half the old window. */
  onTimeout(): void {
    this.#ssthreshBytes = Math.max(this.windowBytes / 2, this.packetBytes * 2);
    this.windowBytes = this.packetBytes;
    this.slowStart = true;
  }

  #clamp(): void {
    this.windowBytes = Math.min(MAX_WINDOW_BYTES, Math.max(this.packetBytes, this.windowBytes));
  }

  #addDelaySample(sampleUs: number, nowMs: number): void {
    if (nowMs - this.#bucketStartMs >= BASE_DELAY_BUCKET_MS || this.#baseDelays.length === 0) {
      this.#baseDelays.push(sampleUs);
      if (this.#baseDelays.length > BASE_DELAY_BUCKETS) this.#baseDelays.shift();
      this.#bucketStartMs = nowMs;
      return;
    }
    const last = this.#baseDelays.length - 1;
    if (wrapLess(sampleUs, this.#baseDelays[last]!)) this.#baseDelays[last] = sampleUs;
  }
}

/** a < b for 32-bit timestamps that may wrap. */
function wrapLess(a: number, b: number): boolean {
  return ((a - b) >>> 0) > 0x7fffffff;
}

/** BEP 29's round-trip estimate: rtt and rtt_var smoothed as TCP does; timeout = rtt + 4 * rtt_var, at least 500 ms. */
export class RttEstimator {
  rttMs: number | undefined;
  rttVarMs = 0;
  minRttMs = Infinity;
  #backoff = 1;

  /** A round trip measured on a packet sent once (Karn: never on a retransmitted one). */
  sample(rttMs: number): void {
    this.minRttMs = Math.min(this.minRttMs, rttMs);
    if (this.rttMs === undefined) {
      this.rttMs = rttMs;
      this.rttVarMs = rttMs / 2;
    } else {
      const delta = this.rttMs - rttMs;
      this.rttVarMs += (Math.abs(delta) - this.rttVarMs) / 4;
      this.rttMs += (rttMs - this.rttMs) / 8;
    }
    this.#backoff = 1;
  }

  /** The timer fired: the next timeout is twice as long, until a new sample. */
  backOff(): void {
    this.#backoff = Math.min(this.#backoff * 2, 64);
  }

  get timeoutMs(): number {
    const base = this.rttMs === undefined ? INITIAL_RTO_MS : Math.max(MIN_RTO_MS, this.rttMs + 4 * this.rttVarMs);
    return Math.min(MAX_RTO_MS, base * this.#backoff);
  }
}
