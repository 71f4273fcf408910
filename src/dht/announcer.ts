// DHT announcer for one torrent (BEP 5): util's Announcer contract (the one the trackers' announcer
// implements too) over a DhtNode. On start and
// every 15 minutes a get_peers lookup plus announce_peer; requestPeers() runs an early lookup at most once a
// minute. Shell: timers; no method throws and no failure escapes (they are logged).

import {
  errorMessage,
  silentLogger,
  systemClock,
  toHex,
  type Announcer,
  type AnnouncerHooks,
  type Clock,
  type Logger,
  type PeerAddress,
  type Timers,
} from "../util/index.ts";
import type { DhtNode } from "./node-types.ts";

/** BEP 5 peers expire after about 30 minutes on the storing nodes; re-announce every 15. */
export const DHT_ANNOUNCE_INTERVAL_MS = 15 * 60_000;
/** After a round that reached no node (not bootstrapped yet, or offline), try again this soon. */
export const DHT_RETRY_MS = 60_000;
/** requestPeers(): at most one early lookup per minute. */
export const DHT_MIN_REQUEST_INTERVAL_MS = 60_000;
/** The `source` passed to onPeers. */
export const DHT_PEER_SOURCE = "dht";

export interface DhtAnnouncerOptions {
  readonly node: Pick<DhtNode, "announce" | "getPeers">;
  readonly infoHash: Uint8Array;
  /** Our peer listener's TCP port, announced with implied_port 0. */
  readonly port: number;
  readonly hooks: AnnouncerHooks;
  readonly log?: Logger;
  readonly clock?: Clock;
  readonly timers?: Timers;
  readonly intervalMs?: number;
  readonly retryMs?: number;
  readonly minRequestIntervalMs?: number;
}

/** Creates the DHT announcer for one torrent; nothing happens until start(). */
export function createDhtAnnouncer(options: DhtAnnouncerOptions): Announcer {
  return new DhtAnnouncer(options);
}

class DhtAnnouncer implements Announcer {
  readonly #o: DhtAnnouncerOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #timers: Timers;
  #state: "new" | "running" | "stopped" = "new";
  #timer: unknown;
  /** Names the round in flight, if any. */
  #round: object | undefined;
  #lastLookupAt = -Infinity;

  constructor(options: DhtAnnouncerOptions) {
    this.#o = options;
    this.#log = (options.log ?? silentLogger).withTag("dht");
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? this.#clock;
  }

  start(): void {
    if (this.#state !== "new") return;
    this.#state = "running";
    this.#run("announce");
  }

  /** BEP 5 has no completed event; nothing to tell the DHT. */
  completed(): void {}

  requestPeers(): void {
    if (this.#state !== "running" || this.#round) return;
    if (this.#clock.now() - this.#lastLookupAt < (this.#o.minRequestIntervalMs ?? DHT_MIN_REQUEST_INTERVAL_MS)) return;
    this.#run("lookup");
  }

  /** Cancels the schedule; a lookup in flight finishes in the node but reports nothing. */
  async stop(): Promise<void> {
    this.#state = "stopped";
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One round; an early lookup leaves the announce schedule as it is. */
  #run(kind: "announce" | "lookup"): void {
    this.#lastLookupAt = this.#clock.now();
    if (kind === "announce") {
      this.#timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const round = {};
    this.#round = round;
    void this.#doRound(kind, round);
  }

  async #doRound(kind: "announce" | "lookup", round: object): Promise<void> {
    const hash = toHex(this.#o.infoHash);
    let peers: PeerAddress[] | undefined;
    let reached = false;
    try {
      if (kind === "announce") {
        const result = await this.#o.node.announce(this.#o.infoHash, this.#o.port);
        peers = result.peers;
        reached = result.announcedTo > 0;
        this.#log.debug(`dht announce ${hash}: ${peers.length} peers, stored on ${result.announcedTo} nodes`);
      } else {
        peers = await this.#o.node.getPeers(this.#o.infoHash);
        this.#log.debug(`dht lookup ${hash}: ${peers.length} peers`);
      }
    } catch (err) {
      this.#log.debug(`dht ${kind} ${hash} failed: ${errorMessage(err)}`);
    }
    if (this.#round === round) this.#round = undefined;
    if (this.#state !== "running") return;
    if (kind === "announce") {
      const delayMs = reached ? (this.#o.intervalMs ?? DHT_ANNOUNCE_INTERVAL_MS) : (this.#o.retryMs ?? DHT_RETRY_MS);
      this.#timer = this.#timers.setTimeout(() => {
        this.#timer = undefined;
        if (this.#state === "running") this.#run("announce");
      }, delayMs);
    }
    // Last, so a throwing hook (a bug upstream) surfaces without breaking the schedule.
    if (peers) this.#o.hooks.onPeers(peers, DHT_PEER_SOURCE);
  }
}
