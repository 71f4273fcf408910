// In-memory transports: two connected ends that carry bytes without sockets, and a little network of
// them with listeners and a Dialer, so the swarm can be run against scripted peers in one process.
// Shell by role (it stands in for sockets), but uses no I/O: delivery is by microtask, idle timeouts
// by the injected clock, so tests under a fake clock see no real time at all.

import { formatPeerAddress, systemClock, type Clock, type PeerAddress } from "../util/index.ts";
import type { DialHandler, Dialer, Transport, TransportHandler } from "./transport.ts";

export interface MemoryTransportOptions {
  /**
   * Bytes a side may have written and not yet delivered; a write beyond it takes only what fits and
   * `drain` follows once the other side has received it. Default: unlimited.
   */
  readonly capacityBytes?: number;
  /** Runs the idle timeout (setIdleTimeout); default the system clock. */
  readonly clock?: Clock;
  /** What `kind` reports; the swarm only reads it for events. Default "tcp". */
  readonly kind?: "tcp" | "utp";
}

/**
 * Deliveries in one turn of the event loop before the next waits for setImmediate. Two scripted ends
 * that answer each other forever (a bug under test) would otherwise never leave the microtask queue,
 * and the test runner's timeout could not fire.
 */
const MAX_DELIVERIES_PER_TURN = 10_000;
let deliveriesThisTurn = 0;

/** Runs `fn` soon: as a microtask, or after the event loop's turn once this one has delivered a lot. */
function soon(fn: () => void): void {
  if (deliveriesThisTurn === 0) setImmediate(() => (deliveriesThisTurn = 0));
  if (++deliveriesThisTurn > MAX_DELIVERIES_PER_TURN) setImmediate(fn);
  else queueMicrotask(fn);
}

/** State both ends share: whether the pair is closed, so close is reported once per end. */
interface Link {
  closed: boolean;
}

class MemoryTransport implements Transport {
  readonly kind: "tcp" | "utp";
  readonly remoteAddress: PeerAddress;
  handler: TransportHandler | undefined;
  /** The other end, set right after both are built. */
  peer!: MemoryTransport;
  readonly #link: Link;
  readonly #capacity: number;
  readonly #clock: Clock;
  /** Bytes written by this end and not yet delivered to the other. */
  #inFlight = 0;
  /** What this end wrote, in order, waiting for the next delivery; "end" closes after what precedes it. */
  readonly #outbox: (Uint8Array | "end")[] = [];
  #deliveryScheduled = false;
  /** A write was cut short: `drain` is owed once the bytes in flight are delivered. */
  #owesDrain = false;
  /** end() was called: nothing more may be written, and close follows the last delivery. */
  #ending = false;
  #closeReported = false;
  #idleSec = 0;
  #idleTimer: unknown;

  constructor(remoteAddress: PeerAddress, link: Link, opts: MemoryTransportOptions) {
    this.remoteAddress = remoteAddress;
    this.#link = link;
    this.#capacity = opts.capacityBytes ?? Infinity;
    this.#clock = opts.clock ?? systemClock;
    this.kind = opts.kind ?? "tcp";
  }

  write(data: Uint8Array, offset: number, length: number): number {
    if (this.#link.closed || this.#ending) return 0;
    const taken = Math.max(0, Math.min(length, this.#capacity - this.#inFlight));
    if (taken < length) this.#owesDrain = true;
    if (taken === 0) return 0;
    // A copy: the caller may reuse its buffer as soon as write returns, as with a socket.
    const chunk = data.slice(offset, offset + taken);
    this.#inFlight += taken;
    this.#post(chunk);
    return taken;
  }

  setIdleTimeout(sec: number): void {
    this.#idleSec = sec;
    this.#armIdle();
  }

  end(): void {
    if (this.#link.closed || this.#ending) return;
    this.#ending = true;
    this.#post("end"); // behind what was written, which still arrives first
  }

  terminate(): void {
    if (this.#link.closed) return;
    this.#link.closed = true;
    queueMicrotask(() => {
      this.peer.#reportClose("connection reset by peer");
      this.#reportClose("terminated");
    });
  }

  #post(item: Uint8Array | "end"): void {
    this.#outbox.push(item);
    if (this.#deliveryScheduled) return;
    this.#deliveryScheduled = true;
    soon(() => this.#deliver());
  }

  /** Hands everything posted so far to the other end, in order. */
  #deliver(): void {
    this.#deliveryScheduled = false;
    for (let item = this.#outbox.shift(); item !== undefined; item = this.#outbox.shift()) {
      if (this.#link.closed) break;
      if (item === "end") {
        this.#closeBoth("closed by peer", "closed");
        break;
      }
      this.#inFlight -= item.length;
      this.peer.#armIdle();
      this.peer.handler?.data(item);
    }
    if (this.#link.closed) this.#outbox.length = 0;
    else if (this.#owesDrain && this.#inFlight === 0) {
      this.#owesDrain = false;
      this.handler?.drain();
    }
  }

  #closeBoth(remoteReason: string, localReason: string): void {
    if (this.#link.closed) return;
    this.#link.closed = true;
    this.peer.#reportClose(remoteReason);
    this.#reportClose(localReason);
  }

  /** Restarts the idle countdown (on setIdleTimeout and on each received chunk). */
  #armIdle(): void {
    this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.#idleSec <= 0 || this.#link.closed) return;
    this.#idleTimer = this.#clock.setTimeout(() => this.#closeBoth("closed by peer", "timed out"), this.#idleSec * 1000);
  }

  #reportClose(reason: string): void {
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#clock.clearTimeout(this.#idleTimer);
    this.handler?.close(reason);
  }
}

/**
 * Two connected in-memory transports: `a` is the end at address `a` (its remoteAddress is `b`), and
 * the other way round. Writes arrive as `data` on the other end in order, each in a later microtask.
 */
export function memoryTransportPair(a: PeerAddress, b: PeerAddress, opts: MemoryTransportOptions = {}): [Transport, Transport] {
  const link: Link = { closed: false };
  const atA = new MemoryTransport(b, link, opts);
  const atB = new MemoryTransport(a, link, opts);
  atA.peer = atB;
  atB.peer = atA;
  return [atA, atB];
}

/** A listener's side of the network: called with each accepted transport (set its handler at once). */
export type MemoryAccept = (transport: Transport) => void;

export interface MemoryNetwork {
  /** Dials listeners of this network; an address nobody listens on is refused. */
  readonly dialer: Dialer;
  /** Listens at `address` until the returned function is called. */
  listen(address: PeerAddress, accept: MemoryAccept): () => void;
  /** Addresses dialed so far, in order ("host:port"). */
  readonly dials: readonly string[];
}

export interface MemoryNetworkOptions extends MemoryTransportOptions {
  /** The address dialed connections come from (each dial gets the next port). Default 127.0.0.1:40000. */
  readonly localAddress?: PeerAddress;
}

/** A network of in-memory listeners; connections open asynchronously, like a real dial. */
export function memoryNetwork(opts: MemoryNetworkOptions = {}): MemoryNetwork {
  const listeners = new Map<string, MemoryAccept>();
  const dials: string[] = [];
  const local = opts.localAddress ?? { host: "127.0.0.1", port: 40000 };
  let nextPort = local.port;
  const dialer: Dialer = (address: PeerAddress, handler: DialHandler) => {
    const key = formatPeerAddress(address);
    dials.push(key);
    queueMicrotask(() => {
      const accept = listeners.get(key);
      if (!accept) return handler.close(`connect failed: connection refused (${key})`);
      const [mine, theirs] = memoryTransportPair({ host: local.host, port: nextPort++ }, address, opts);
      mine.handler = handler;
      accept(theirs);
      handler.open(mine);
    });
  };
  return {
    dialer,
    dials,
    listen(address, accept) {
      const key = formatPeerAddress(address);
      listeners.set(key, accept);
      return () => {
        if (listeners.get(key) === accept) listeners.delete(key);
      };
    },
  };
}
