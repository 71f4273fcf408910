// The tracker announcer's options and defaults (HTTP and UDP trackers); the Announcer contract it
// implements (util/announcer.ts) and the Timers it takes (util/clock.ts) are util's, shared with the DHT
// announcer.
// Types and constants only; the behaviour lives in announcer.ts.

import type { AnnouncerHooks, Clock, Logger, Timers } from "../util/index.ts";
import type { Metainfo } from "../metainfo/index.ts";
import type { FetchFn } from "./http-request.ts";
import type { UdpTrackerClient } from "./udp-request.ts";

export interface TrackerAnnouncerOptions {
  readonly meta: Pick<Metainfo, "infoHash" | "announceTiers">;
  readonly peerId: Uint8Array;
  /** Our peer listener's port. */
  readonly port: number;
  /** BEP 7: an IPv6 address we listen on, sent to HTTP trackers as `ipv6=` (UDP trackers are not told). */
  readonly ipv6?: string;
  readonly hooks: AnnouncerHooks;
  readonly log?: Logger;
  /** One-line messages for the user: tracker warnings, failures, skipped trackers. Default: log.warn. */
  readonly onWarning?: (message: string) => void;
  /** Ages connection ids and paces requestPeers(); default the system clock. */
  readonly clock?: Clock;
  /** Schedule announces; default the clock. */
  readonly timers?: Timers;
  /**
   * Bound each request: the HTTP timeout, and our own UDP client's retransmissions and timeout (a shared
   * udpClient brings its own). Default `timers`; tests pass separate ones to time out a request without
   * moving the schedule.
   */
  readonly requestTimers?: Timers;
  readonly fetch?: FetchFn;
  /**
   * Client for udp:// trackers (BEP 15); whoever passes one closes it. Default: our own, made on the first
   * UDP announce and closed by stop(). A Client should share one so connection ids serve every torrent.
   */
  readonly udpClient?: UdpTrackerClient;
  /** First retransmission delay of our own UDP client, doubling after each; default UDP_ANNOUNCE_RETRY_BASE_MS. */
  readonly udpRetryBaseMs?: number;
  /** Retransmissions per UDP exchange for our own client; the request timeout bounds them as well. */
  readonly udpMaxRetries?: number;
  readonly timeoutMs?: number;
  readonly stopTimeoutMs?: number;
  readonly numWant?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** Gap between announces when the tracker gave no `min interval`. */
  readonly defaultMinIntervalSec?: number;
  /** Uniform in [0, 1), for backoff jitter. */
  readonly random?: () => number;
  /** Shuffles each tier once at start (BEP 12); tests pass the identity for a fixed order. */
  readonly shuffle?: <T>(items: T[]) => T[];
}

/** Trackers answer in well under a second; 15 s covers slow ones without stalling a tier's failover. */
export const DEFAULT_ANNOUNCE_TIMEOUT_MS = 15_000;
/**
 * BEP 15's first retransmission comes after 15 s, exactly when an announce times out, so one lost datagram
 * would count the tracker as dead. Retransmitting after 3, 6 s (doubling) gives it two more tries first.
 */
export const UDP_ANNOUNCE_RETRY_BASE_MS = 3_000;
/** `stopped` is a courtesy: quitting must not wait long for it. */
export const STOP_ANNOUNCE_TIMEOUT_MS = 4_000;
/** BEP 3 numwant; trackers default to about 50 as well. */
export const DEFAULT_NUM_WANT = 50;
/** Backoff after a round in which every tracker failed: 15 s, 30 s, 60 s ... up to 30 min, plus jitter. */
export const BACKOFF_INITIAL_MS = 15_000;
export const BACKOFF_MAX_MS = 30 * 60_000;
/** Up to +10% so many clients restarted together do not retry in lockstep. */
export const BACKOFF_JITTER = 0.1;
/** requestPeers() with no `min interval` from the tracker: at most one early announce a minute. */
export const DEFAULT_MIN_INTERVAL_SEC = 60;
/** requestPeers() during backoff may pull the retry in, but never closer than this to the failed round. */
export const REQUEST_PEERS_BACKOFF_FLOOR_MS = 60_000;
