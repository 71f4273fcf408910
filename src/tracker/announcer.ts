// Tracker announcer: announces one torrent to its HTTP and UDP (BEP 15) trackers in BEP 12 tier order with
// BEP 3 events, re-announces on the tracker's interval, backs off when every tracker fails, announces early
// on request. Shell: fetch, UDP client, timers; no method throws and no failure escapes (they become warnings).

import {
  errorMessage,
  randomBytes,
  shuffle as shuffleInPlace,
  silentLogger,
  systemClock,
  toHex,
  type Announcer,
  type Clock,
  type Logger,
  type Timers,
} from "../util/index.ts";
import {
  BACKOFF_INITIAL_MS,
  BACKOFF_JITTER,
  BACKOFF_MAX_MS,
  DEFAULT_ANNOUNCE_TIMEOUT_MS,
  DEFAULT_MIN_INTERVAL_SEC,
  DEFAULT_NUM_WANT,
  REQUEST_PEERS_BACKOFF_FLOOR_MS,
  STOP_ANNOUNCE_TIMEOUT_MS,
  UDP_ANNOUNCE_RETRY_BASE_MS,
  type TrackerAnnouncerOptions,
} from "./announcer-types.ts";
import { buildAnnounceUrl, type AnnounceEvent, type AnnounceParams, type AnnounceResponse } from "./http-codec.ts";
import { requestAnnounce } from "./http-request.ts";
import { isUdpTracker, planTiers, promoteTracker, trackerLabel } from "./tiers.ts";
import { createUdpTrackerClient, type UdpTrackerClient } from "./udp-request.ts";

/** Creates the announcer for one torrent; nothing happens until start(). */
export function createTrackerAnnouncer(options: TrackerAnnouncerOptions): Announcer {
  return new TrackerAnnouncer(options);
}

class TrackerAnnouncer implements Announcer {
  readonly #opts: TrackerAnnouncerOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #requestTimers: Timers;
  readonly #tiers: string[][];
  readonly #skipped: readonly string[];
  readonly #key = toHex(randomBytes(4)); // BEP 3 `key`: lets a tracker recognise us across IP changes
  readonly #trackerIds = new Map<string, Uint8Array>();
  /** Last failure message per tracker, so a tracker that keeps failing the same way warns once. */
  readonly #lastErrors = new Map<string, string>();
  #state: "new" | "running" | "stopped" = "new";
  #timer: unknown;
  #timerDueAt: number | undefined;
  #round: Promise<void> | undefined;
  #roundAbort: AbortController | undefined;
  #stopPromise: Promise<void> | undefined;
  /** Our own UDP client when the options gave none; closed by stop(). */
  #ownUdp: UdpTrackerClient | undefined;
  #lastSuccessUrl: string | undefined;
  /** The tracker an announce in flight went to (for `stopped` when none has answered yet). */
  #pendingUrl: string | undefined;
  #lastSuccessAt = 0;
  #intervalSec = 0;
  #minIntervalSec: number | undefined;
  #failedRounds = 0;
  #lastFailedRoundAt = 0;
  /** A torrent that starts complete never sends `completed` (it downloaded nothing). */
  #beganComplete = false;
  #completedPending = false;
  #completedSent = false;

  constructor(opts: TrackerAnnouncerOptions) {
    this.#opts = opts;
    this.#log = (opts.log ?? silentLogger).withTag("tracker");
    this.#clock = opts.clock ?? systemClock;
    this.#timers = opts.timers ?? this.#clock;
    this.#requestTimers = opts.requestTimers ?? this.#timers;
    const plan = planTiers(opts.meta.announceTiers, opts.shuffle ?? shuffleInPlace);
    this.#tiers = plan.tiers;
    this.#skipped = plan.skipped;
  }

  start(): void {
    if (this.#state !== "new") return;
    this.#state = "running";
    // Warnings wait for start(): the owner may not be ready to receive them while constructing us.
    for (const message of this.#skipped) this.#warn(message);
    if (this.#tiers.length === 0) return;
    try {
      this.#beganComplete = this.#opts.hooks.getStats().left === 0;
    } catch (err) {
      this.#log.error(`getStats failed: ${errorMessage(err)}`);
    }
    if (this.#beganComplete) this.#completedPending = false;
    this.#runRound();
  }

  completed(): void {
    if (this.#state === "stopped" || this.#beganComplete || this.#completedSent || this.#completedPending) return;
    this.#completedPending = true;
    // Before any announce succeeded, `completed` simply replaces `started` in the first one that does.
    if (this.#state === "running" && this.#lastSuccessUrl !== undefined && this.#failedRounds === 0) this.#runRound();
  }

  requestPeers(): void {
    if (this.#state !== "running" || this.#tiers.length === 0 || this.#round) return;
    const now = this.#clock.now();
    let earliest: number;
    if (this.#failedRounds > 0) earliest = this.#lastFailedRoundAt + REQUEST_PEERS_BACKOFF_FLOOR_MS;
    else if (this.#lastSuccessUrl !== undefined) earliest = this.#lastSuccessAt + this.#minGapMs();
    else return;
    earliest = Math.max(earliest, now);
    if (this.#timerDueAt !== undefined && this.#timerDueAt <= earliest) return; // already soon enough
    if (earliest <= now) this.#runRound();
    else this.#schedule(earliest - now);
  }

  stop(): Promise<void> {
    if (this.#stopPromise) return this.#stopPromise;
    const wasRunning = this.#state === "running";
    this.#state = "stopped";
    this.#clearTimer();
    this.#roundAbort?.abort(new Error("announcer stopped"));
    // With no answered announce yet, the one cut short may still have registered us: withdraw there too.
    const url = this.#lastSuccessUrl ?? this.#pendingUrl;
    const stopped = wasRunning && url !== undefined ? this.#sendStopped(url) : Promise.resolve();
    this.#stopPromise = stopped.then(() => this.#ownUdp?.close());
    return this.#stopPromise;
  }

  async #sendStopped(url: string): Promise<void> {
    try {
      await this.#announceTo(url, "stopped", { timeoutMs: this.#opts.stopTimeoutMs ?? STOP_ANNOUNCE_TIMEOUT_MS });
      this.#log.debug(`announced stopped to ${trackerLabel(url)}`);
    } catch (err) {
      // We are leaving anyway; the tracker drops us after its interval.
      this.#log.debug(`stopped announce to ${trackerLabel(url)} failed: ${errorMessage(err)}`);
    }
  }

  #runRound(): void {
    if (this.#state !== "running" || this.#round) return;
    this.#clearTimer();
    const abort = new AbortController();
    this.#roundAbort = abort;
    this.#round = (async () => {
      let delayMs: number;
      try {
        delayMs = await this.#announceRound(abort.signal);
      } catch (err) {
        // Only a bug (e.g. a throwing hook) lands here; keep announcing rather than go silent.
        this.#log.error(`announce round failed: ${errorMessage(err)}`);
        delayMs = this.#recordFailedRound();
      } finally {
        this.#round = undefined;
        this.#roundAbort = undefined;
        this.#pendingUrl = undefined;
      }
      if (this.#state === "running") this.#schedule(delayMs);
    })();
  }

  /** One pass over the tiers (BEP 12); returns the delay until the next round. */
  async #announceRound(signal: AbortSignal): Promise<number> {
    const event: AnnounceEvent | undefined =
      this.#completedPending ? "completed" : this.#lastSuccessUrl === undefined ? "started" : undefined;
    for (const tier of this.#tiers) {
      for (let i = 0; i < tier.length; i++) {
        const url = tier[i]!;
        let reply: AnnounceResponse;
        try {
          this.#pendingUrl = url;
          reply = await this.#announceTo(url, event, { signal });
        } catch (err) {
          if (signal.aborted) return 0;
          this.#failed(url, err);
          continue;
        }
        if (signal.aborted) return 0;
        promoteTracker(tier, i);
        this.#succeeded(url, event, reply);
        if (this.#completedPending) return 0; // completed() arrived while this announce was in flight
        return reply.intervalSec * 1000;
      }
    }
    return this.#recordFailedRound();
  }

  async #announceTo(
    url: string,
    event: AnnounceEvent | undefined,
    opts: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<AnnounceResponse> {
    const stats = this.#opts.hooks.getStats();
    const trackerId = this.#trackerIds.get(url);
    const params: AnnounceParams = {
      infoHash: this.#opts.meta.infoHash,
      peerId: this.#opts.peerId,
      port: this.#opts.port,
      uploaded: count(stats.uploaded),
      downloaded: count(stats.downloaded),
      left: count(stats.left),
      ...(event !== undefined && { event }),
      numWant: event === "stopped" ? 0 : (this.#opts.numWant ?? DEFAULT_NUM_WANT),
      key: this.#key,
      ...(trackerId && { trackerId }),
      ...(this.#opts.ipv6 !== undefined && { ipv6: this.#opts.ipv6 }),
      compact: true,
    };
    const request = {
      timeoutMs: opts.timeoutMs ?? this.#opts.timeoutMs ?? DEFAULT_ANNOUNCE_TIMEOUT_MS,
      ...(opts.signal && { signal: opts.signal }),
    };
    this.#log.debug(`announcing ${event ?? "update"} to ${trackerLabel(url)}`);
    if (isUdpTracker(url)) return this.#udp().announce(url, params, request);
    return requestAnnounce(buildAnnounceUrl(url, params), { fetch: this.#opts.fetch ?? fetch, timers: this.#requestTimers, ...request });
  }

  #udp(): UdpTrackerClient {
    if (this.#opts.udpClient) return this.#opts.udpClient;
    // The clock ages connection ids; retransmissions and the timeout bound a request.
    this.#ownUdp ??= createUdpTrackerClient({
      clock: this.#clock,
      timers: this.#requestTimers,
      log: this.#log,
      retryBaseMs: this.#opts.udpRetryBaseMs ?? UDP_ANNOUNCE_RETRY_BASE_MS,
      ...(this.#opts.udpMaxRetries !== undefined && { maxRetries: this.#opts.udpMaxRetries }),
    });
    return this.#ownUdp;
  }

  #succeeded(url: string, event: AnnounceEvent | undefined, reply: AnnounceResponse): void {
    const label = trackerLabel(url);
    this.#lastSuccessUrl = url;
    this.#lastSuccessAt = this.#clock.now();
    this.#failedRounds = 0;
    this.#intervalSec = reply.intervalSec;
    this.#minIntervalSec = reply.minIntervalSec;
    this.#lastErrors.delete(url);
    if (reply.trackerId) this.#trackerIds.set(url, reply.trackerId);
    if (event === "completed") {
      this.#completedPending = false;
      this.#completedSent = true;
    }
    if (reply.warning) this.#warn(`tracker ${label} warns: ${reply.warning}`);
    this.#log.debug(`${label}: ${reply.peers.length} peers, next announce in ${reply.intervalSec} s`);
    try {
      // Called for an empty list too: an answered announce is news to the swarm (and to a CI script
      // waiting for a seeder to be registered).
      this.#opts.hooks.onPeers(reply.peers, label);
    } catch (err) {
      this.#log.error(`onPeers failed: ${errorMessage(err)}`);
    }
  }

  #failed(url: string, err: unknown): void {
    const message = errorMessage(err);
    const line = `tracker ${trackerLabel(url)} failed: ${message}`;
    this.#log.debug(line);
    if (this.#lastErrors.get(url) === message) return;
    this.#lastErrors.set(url, message);
    this.#warn(line);
  }

  #recordFailedRound(): number {
    this.#failedRounds++;
    this.#lastFailedRoundAt = this.#clock.now();
    const initial = this.#opts.backoffInitialMs ?? BACKOFF_INITIAL_MS;
    const max = this.#opts.backoffMaxMs ?? BACKOFF_MAX_MS;
    const base = Math.min(initial * 2 ** Math.min(this.#failedRounds - 1, 30), max);
    return Math.round(base * (1 + BACKOFF_JITTER * (this.#opts.random ?? Math.random)()));
  }

  #minGapMs(): number {
    const sec = this.#minIntervalSec ?? this.#opts.defaultMinIntervalSec ?? DEFAULT_MIN_INTERVAL_SEC;
    return Math.min(sec, this.#intervalSec) * 1000;
  }

  #schedule(delayMs: number): void {
    this.#clearTimer();
    this.#timerDueAt = this.#clock.now() + delayMs;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#timerDueAt = undefined;
      this.#runRound();
    }, delayMs);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDueAt = undefined;
  }

  #warn(message: string): void {
    if (!this.#opts.onWarning) {
      this.#log.warn(message);
      return;
    }
    try {
      this.#opts.onWarning(message);
    } catch (err) {
      this.#log.error(`onWarning failed: ${errorMessage(err)}`);
    }
  }
}

/** Byte counters from the swarm, made safe for the query (a negative or fractional value is a swarm bug). */
function count(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
