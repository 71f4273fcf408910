// UDP tracker datagram transport (BEP 15): Bun UDP sockets, random transaction ids, retransmission on the
// 15 * 2^n s schedule, and the filter that drops stray packets. Shell: sockets and timers; used by udp-request.

import type { udp } from "bun";
import { errorMessage, mappedIpv6, parseIpv4, parseIpv6, randomBytes, TrackerError, type Clock, type Logger, type Timers } from "../util/index.ts";
import { MAX_TRACKER_TEXT_CHARS } from "./http-codec.ts";
import { UDP_ACTION, decodeUdpResponse, type UdpActionName, type UdpResponse } from "./udp-codec.ts";

/** BEP 15: with no reply after 15 * 2^n s, retransmit. */
export const UDP_RETRY_BASE_MS = 15_000;
/** BEP 15: n grows up to 8 (a 3840 s wait), then the request has failed. */
export const UDP_MAX_RETRIES = 8;

/** A resolved tracker. */
export interface UdpTarget {
  /** host:port as written in the URL: names the tracker in messages and keys its connection id. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** The tracker's address family, which decides the peer entry size (BEP 15). */
  readonly ipv6: boolean;
}

/** One exchange (connect + announce, or connect + scrapes): its abort signal and its retransmission exponent. */
export interface UdpExchange {
  readonly signal: AbortSignal;
  n: number;
}

export interface UdpTransportOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly retryBaseMs: number;
  readonly maxRetries: number;
  readonly bindHost: string | undefined;
  readonly log: Logger;
}

/** Returned by send() when the connection id it carries expired before a retransmission. */
export const EXPIRED = Symbol("connection id expired");

interface Pending {
  readonly target: UdpTarget;
  readonly expect: UdpActionName;
  settle(result: UdpResponse | TrackerError): void;
}

export class UdpTransport {
  readonly #o: UdpTransportOptions;
  readonly #sockets = new Map<string, Promise<udp.Socket<"uint8array">>>();
  readonly #pending = new Map<number, Pending>();
  #closed = false;

  constructor(options: UdpTransportOptions) {
    this.#o = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `packet(transactionId)` until the reply with that id and action arrives from the target, and
   * returns it. An error action becomes a TrackerError with the tracker's message. One transaction id
   * serves all retransmissions, so a late reply to an earlier copy still counts. With `expiresAt`, gives
   * EXPIRED instead of retransmitting once the clock reaches it (the packet carries a connection id).
   */
  async send(target: UdpTarget, ex: UdpExchange, expect: UdpActionName, packet: (tid: number) => Uint8Array, expiresAt?: number): Promise<UdpResponse | typeof EXPIRED> {
    const socket = await this.#socket(target);
    let tid: number;
    do tid = new DataView(randomBytes(4).buffer).getUint32(0);
    while (this.#pending.has(tid));
    const bytes = packet(tid);
    const { promise, resolve, reject } = Promise.withResolvers<UdpResponse | typeof EXPIRED>();
    let timer: unknown;
    const done = (result: UdpResponse | TrackerError | typeof EXPIRED) => {
      this.#o.timers.clearTimeout(timer);
      this.#pending.delete(tid);
      ex.signal.removeEventListener("abort", onAbort);
      if (result instanceof TrackerError) reject(result);
      else resolve(result);
    };
    const onAbort = () => done(asTrackerError(ex.signal.reason));
    const transmit = () => {
      try {
        socket.send(bytes, target.port, target.address); // false (kernel buffer full) counts as a lost packet
      } catch (err) {
        return done(new TrackerError(`udp send to ${target.key} failed: ${errorMessage(err)}`, { cause: err }));
      }
      timer = this.#o.timers.setTimeout(onTimeout, this.#o.retryBaseMs * 2 ** Math.min(ex.n, UDP_MAX_RETRIES));
    };
    const onTimeout = () => {
      if (ex.n >= this.#o.maxRetries) return done(new TrackerError(`no reply to ${expect} after ${ex.n + 1} tries`));
      ex.n++;
      if (expiresAt !== undefined && this.#o.clock.now() >= expiresAt) return done(EXPIRED);
      this.#o.log.debug(`retransmitting ${expect} to ${target.key} (n=${ex.n})`);
      transmit();
    };
    this.#pending.set(tid, { target, expect, settle: done });
    ex.signal.addEventListener("abort", onAbort, { once: true });
    if (ex.signal.aborted) onAbort();
    else transmit();
    return promise;
  }

  /** Closes the sockets; requests in flight fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.#pending.values()]) p.settle(new TrackerError("udp tracker client closed"));
    // A socket still being created is closed by #socket once it exists; a failed one has nothing to close.
    for (const s of this.#sockets.values()) s.then((socket) => socket.close(), () => {});
    this.#sockets.clear();
  }

  #onPacket(bytes: Uint8Array, port: number, address: string): void {
    // Anything but the awaited reply from the tracker we asked is ignored: late duplicates after a
    // retransmission, replies to a cancelled request, spoofed or stray datagrams.
    const from = `${address}:${port}`;
    if (bytes.length < 8) return this.#o.log.debug(`ignored ${bytes.length}-byte packet from ${from}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const action = view.getUint32(0);
    const pending = this.#pending.get(view.getUint32(4));
    if (!pending || pending.target.port !== port || !sameAddress(pending.target.address, address)) {
      return this.#o.log.debug(`ignored packet from ${from}: unknown transaction id`);
    }
    if (action !== UDP_ACTION[pending.expect] && action !== UDP_ACTION.error) {
      return this.#o.log.debug(`ignored packet from ${from}: action ${action}, expected ${UDP_ACTION[pending.expect]}`);
    }
    let reply: UdpResponse;
    try {
      reply = decodeUdpResponse(bytes, pending.target.ipv6);
    } catch (err) {
      return pending.settle(asTrackerError(err)); // the tracker's own reply is malformed: fail over
    }
    if (reply.action !== "error") return pending.settle(reply);
    pending.settle(new TrackerError(`tracker failure: ${cleanUdpTrackerText(reply.message) || "no message"}`));
  }

  /** One socket per local address, made on first use; the tracker's family and loopback-ness pick it. */
  #socket(target: UdpTarget): Promise<udp.Socket<"uint8array">> {
    if (this.#closed) return Promise.reject(new TrackerError("udp tracker client closed"));
    const loopback = target.ipv6 ? sameAddress(target.address, "::1") : target.address.startsWith("127.");
    const hostname = target.ipv6 ? (loopback ? "::1" : "::") : (this.#o.bindHost ?? (loopback ? "127.0.0.1" : "0.0.0.0"));
    let socket = this.#sockets.get(hostname);
    if (socket) return socket;
    socket = Bun.udpSocket({
      hostname,
      port: 0,
      binaryType: "uint8array",
      socket: {
        data: (_s, data, port, address) => this.#onPacket(data, port, address),
        error: (_s, err) => this.#o.log.debug(`udp socket ${hostname}: ${errorMessage(err)}`),
      },
    }).then(
      (s) => {
        s.unref(); // requests in flight hold timers; an idle tracker socket must not keep the process alive
        if (!this.#closed) return s;
        s.close();
        throw new TrackerError("udp tracker client closed");
      },
      (err: unknown) => {
        this.#sockets.delete(hostname);
        throw new TrackerError(`cannot open udp socket on ${hostname}: ${errorMessage(err)}`, { cause: err });
      },
    );
    this.#sockets.set(hostname, socket);
    return socket;
  }
}

/** Tracker text for one terminal line: no control characters, bounded length. Pure. */
export function cleanUdpTrackerText(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return flat.length > MAX_TRACKER_TEXT_CHARS ? flat.slice(0, MAX_TRACKER_TEXT_CHARS) + "..." : flat;
}

/** Compares IP texts by value, so "::ffff:127.0.0.1" (from a dual-stack socket) equals "127.0.0.1". */
function sameAddress(a: string, b: string): boolean {
  const bytes = (t: string) => {
    const v4 = parseIpv4(t);
    return v4 ? mappedIpv6(v4) : parseIpv6(t);
  };
  const [x, y] = [bytes(a), bytes(b)];
  return x !== undefined && y !== undefined ? x.every((v, i) => v === y[i]) : a === b;
}

export function asTrackerError(err: unknown): TrackerError {
  if (err instanceof TrackerError) return err;
  return new TrackerError(`udp request failed: ${errorMessage(err)}`, { cause: err });
}
