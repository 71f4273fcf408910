// What every swarm of one info hash runs, whether it downloads a torrent or fetches a magnet's metadata:
// our identity, the connections (admission, dialing, bans), the announcers (trackers, DHT) feeding the
// peer pool, the 1 s tick and one wake-up timer. The owner implements SwarmHandler: its peers, their
// messages and what happens on each tick. Shell: timers, all on the injected clock.

import { LIMITS, systemClock, type Announcer, type AnnouncerHooks, type Clock, type PeerAddress } from "../util/index.ts";
import { makeReserved } from "../wire/index.ts";
import type { LocalIdentity, PeerConnection, PeerHandler } from "../peer/index.ts";
import { Connections, type SwarmPeerHandler } from "./connections.ts";
import type { DialOptions } from "./dial-encryption.ts";

const TICK_MS = 1000;

/** The owner of a swarm: its peers (SwarmPeerHandler), its share of the tick, and what announcers hear. */
export interface SwarmHandler<P> extends SwarmPeerHandler<P> {
  /**
   * Once a second while started: the owner's upkeep (rates, timeouts, progress). Afterwards, if the
   * owner is open, the core dials more peers and asks the announcers for more when none are left.
   */
  tick(now: number, elapsedMs: number): void;
  /** A wake-up asked for with wakeAfter() is due (a rate limit has room again). */
  wake?(): void;
  /** What the trackers are told we moved and still need. */
  announceStats(): { uploaded: number; downloaded: number; left: number };
  /** A tracker (by URL without its query) or the DHT answered with `peerCount` peers; they are added next. */
  announced(source: string, peerCount: number): void;
}

export interface SwarmCoreOptions {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  /** Connections at once (outgoing and incoming). Default LIMITS.peersPerTorrent. */
  readonly maxPeers?: number | undefined;
  /** Frame cap for the connections we dial. */
  readonly maxMessageLength: number;
  /** Handshake deadline and encryption (MSE/PE) for the connections we dial. */
  readonly dial?: DialOptions | undefined;
  readonly clock?: Clock | undefined;
  /** The trackers and DHT for this info hash; undefined = peers come only from addPeers and PEX. */
  readonly createAnnouncer?: ((hooks: AnnouncerHooks) => Announcer | undefined) | undefined;
}

export class SwarmCore<P> {
  /** Who we are to peers: the info hash, our peer id, and the fast (BEP 6) and extension (BEP 10) bits. */
  readonly identity: LocalIdentity;
  readonly connections: Connections<P>;
  readonly #handler: SwarmHandler<P>;
  readonly #clock: Clock;
  readonly #announcer: Announcer | undefined;
  #state: "idle" | "running" | "paused" | "stopped" = "idle";
  /** The tick and the wake-up, both on the injected clock. */
  #tickTimer: unknown;
  #lastTick = 0;
  #wakeTimer: unknown;
  #wakeAt = Infinity;

  constructor(opts: SwarmCoreOptions, handler: SwarmHandler<P>) {
    this.#handler = handler;
    this.#clock = opts.clock ?? systemClock;
    this.identity = { infoHash: opts.infoHash, peerId: opts.peerId, reserved: makeReserved({ fast: true, extended: true }) };
    this.connections = new Connections<P>(
      { identity: this.identity, maxPeers: opts.maxPeers ?? LIMITS.peersPerTorrent, maxMessageLength: opts.maxMessageLength, dial: opts.dial, clock: this.#clock },
      handler,
    );
    this.#announcer = opts.createAnnouncer?.({
      getStats: () => handler.announceStats(),
      onPeers: (peers, source) => {
        handler.announced(source, peers.length);
        this.addPeers(peers);
      },
    });
  }

  /** Admitted peers by connection. */
  get peers(): Map<PeerConnection, P> {
    return this.connections.peers;
  }

  /** Starts the tick and the announcers, and dials the peers known so far. Does nothing once stopped. */
  start(): void {
    if (this.#state !== "idle") return;
    this.#state = "running";
    this.#lastTick = this.#clock.now();
    this.#scheduleTick();
    this.#announcer?.start();
    this.connections.connectMore();
  }

  /** Adds known peer addresses (from trackers, the DHT, --peer, PEX...) and dials some if there is room. */
  addPeers(addresses: readonly PeerAddress[]): void {
    this.connections.add(addresses);
  }

  /** Route for the listener: accept an incoming connection for this swarm. */
  acceptIncoming(): { identity: LocalIdentity; handler: PeerHandler } | undefined {
    return this.connections.acceptIncoming();
  }

  /** Tells the announcers the download completed (BEP 3 `completed`). */
  completed(): void {
    this.#announcer?.completed();
  }

  /** One timer for every rate limit: the earliest wake-up asked for calls the handler's wake(). */
  wakeAfter(ms: number): void {
    if (this.#state === "stopped") return;
    const delay = Math.max(1, ms);
    const at = this.#clock.now() + delay;
    if (this.#wakeTimer !== undefined && this.#wakeAt <= at) return;
    this.#clock.clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = this.#clock.setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#wakeAt = Infinity;
      this.#handler.wake?.();
    }, delay);
  }

  /** Stops the tick and wake timers; connections and announcers stay until stop(). */
  pause(): void {
    if (this.#state === "running") this.#state = "paused";
    this.#clearTimers();
  }

  /** Stops the timers, closes every connection and stops the announcers (`stopped`); resolves when they have. */
  async stop(reason: string): Promise<void> {
    this.#state = "stopped";
    this.#clearTimers();
    this.connections.closeAll(reason);
    await this.#announcer?.stop();
  }

  #clearTimers(): void {
    this.#clock.clearTimeout(this.#tickTimer);
    this.#clock.clearTimeout(this.#wakeTimer);
    this.#tickTimer = this.#wakeTimer = undefined;
    this.#wakeAt = Infinity;
  }

  /** Re-armed before each tick runs, so a tick that stops the swarm clears the next one. */
  #scheduleTick(): void {
    this.#tickTimer = this.#clock.setTimeout(() => {
      this.#scheduleTick();
      this.#tick();
    }, TICK_MS);
  }

  #tick(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#lastTick;
    this.#lastTick = now;
    this.#handler.tick(now, elapsed);
    if (this.#state !== "running" || !this.#handler.isOpen()) return;
    const conns = this.connections;
    conns.connectMore();
    // Nobody connected, nobody being dialed, nobody left worth dialing: ask the announcers early.
    if (conns.peers.size === 0 && conns.pendingCount === 0 && !conns.pool.hasUsable()) this.#announcer?.requestPeers();
  }
}
