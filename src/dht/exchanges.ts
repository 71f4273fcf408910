// A DHT node's outstanding queries (BEP 5 KRPC): random transaction ids, a reply accepted only from the
// address queried, a timeout per query, and a cap on queries in flight (later ones wait in a bounded queue).
// Shell: timers (injected, real by default); sending goes through the injected function.

import { randomBytes, systemClock, type PeerAddress, type Timers } from "../util/index.ts";
import type { KrpcMessage, KrpcResponseBody } from "./krpc.ts";

/** Transaction ids we generate; 4 random bytes make a spoofed reply a 1 in 2^32 guess. */
export const TRANSACTION_ID_BYTES = 4;
/** Queries waiting for a free slot beyond this fail at once (as "unsent"). */
export const MAX_QUEUED_QUERIES = 1024;

export type QueryOutcome =
  | { readonly kind: "response"; readonly body: KrpcResponseBody; readonly ip: PeerAddress | undefined }
  | { readonly kind: "error"; readonly code: number; readonly message: string }
  /** No reply within the timeout. */
  | { readonly kind: "timeout" }
  /** Never sent: the socket refused it, the queue was full, or the node stopped. */
  | { readonly kind: "unsent" };

export interface ExchangesOptions {
  readonly timeoutMs: number;
  readonly maxOutstanding: number;
  /** Sends one datagram; false when the socket would not take it. */
  readonly send: (bytes: Uint8Array, to: PeerAddress) => boolean;
  /** The query timeouts' timers; default the real ones. */
  readonly timers?: Timers;
}

interface Pending {
  readonly to: PeerAddress;
  readonly timer: unknown;
  readonly resolve: (outcome: QueryOutcome) => void;
}

export class Exchanges {
  readonly #opts: ExchangesOptions;
  readonly #timers: Timers;
  readonly #pending = new Map<string, Pending>();
  readonly #queue: (() => void)[] = [];
  /** Slots taken: pending queries plus those handed a slot and about to send. */
  #inUse = 0;
  #closed = false;
  readonly counters = { queriesSent: 0, responsesReceived: 0, timeouts: 0 };

  constructor(options: ExchangesOptions) {
    this.#opts = options;
    this.#timers = options.timers ?? systemClock;
  }

  get outstanding(): number {
    return this.#pending.size;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Sends `build(t)` to `to` once a slot is free and resolves with the reply, an error, or a timeout. */
  async query(to: PeerAddress, build: (t: Uint8Array) => Uint8Array): Promise<QueryOutcome> {
    if (this.#closed) return { kind: "unsent" };
    if (this.#inUse >= this.#opts.maxOutstanding) {
      if (this.#queue.length >= MAX_QUEUED_QUERIES) return { kind: "unsent" };
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#queue.push(resolve);
      await promise; // a finishing query handed us its slot
    } else this.#inUse++;
    if (this.#closed) {
      this.#release();
      return { kind: "unsent" };
    }
    let t: Uint8Array;
    do t = randomBytes(TRANSACTION_ID_BYTES);
    while (this.#pending.has(key(t)));
    const { promise, resolve } = Promise.withResolvers<QueryOutcome>();
    const k = key(t);
    const timer = this.#timers.setTimeout(() => {
      this.counters.timeouts++;
      this.#finish(k, { kind: "timeout" });
    }, this.#opts.timeoutMs);
    this.#pending.set(k, { to, timer, resolve });
    this.counters.queriesSent++;
    if (!this.#opts.send(build(t), to)) this.#finish(k, { kind: "unsent" });
    return promise;
  }

  /** Hands a response or error to its query; false when it answers nothing we asked from that address. */
  settle(msg: Exclude<KrpcMessage, { y: "q" }>, from: PeerAddress): boolean {
    const k = key(msg.t);
    const pending = this.#pending.get(k);
    if (!pending || pending.to.host !== from.host || pending.to.port !== from.port) return false;
    this.counters.responsesReceived++;
    this.#finish(k, msg.y === "r" ? { kind: "response", body: copyBody(msg.body), ip: msg.ip } : { kind: "error", code: msg.code, message: msg.message });
    return true;
  }

  /** Fails every outstanding and queued query as unsent; later queries fail at once. */
  close(): void {
    this.#closed = true;
    // Each finish hands its slot to a queued query, which sees #closed and releases it in turn.
    for (const k of [...this.#pending.keys()]) this.#finish(k, { kind: "unsent" });
  }

  #finish(k: string, outcome: QueryOutcome): void {
    const pending = this.#pending.get(k);
    if (!pending) return;
    this.#timers.clearTimeout(pending.timer);
    this.#pending.delete(k);
    pending.resolve(outcome);
    this.#release();
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#inUse--;
  }
}

function key(t: Uint8Array): string {
  return String.fromCharCode(...t);
}

/** Decoded byte strings are views into the datagram; keep copies that outlive it. */
function copyBody(body: KrpcResponseBody): KrpcResponseBody {
  return { id: body.id.slice(), nodes: body.nodes, values: body.values, token: body.token?.slice() };
}
