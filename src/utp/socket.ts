// UDP sockets carrying uTP connections (BEP 29): datagrams demultiplexed by (address, connection id),
// dials, incoming SYNs turned into connections, one timer and batched acks for all. Shell: owns the
// node:dgram sockets (one per address family) and the timer (on the injected clock).

import dgram from "node:dgram";
import { LIMITS, RippleError, UtpError, errorMessage, repeat, silentLogger, systemClock, type Clock, type Logger, type PeerAddress } from "../util/index.ts";
import { ST_DATA, ST_FIN, ST_RESET, ST_SYN, decodePacket, encodePacket, timestampUs, type UtpPacket } from "./codec.ts";
import { UtpConnection } from "./connection.ts";
import type { UtpEnv, UtpEvents } from "./params.ts";

/** How often connections look at their timers (the retransmission timeout is at least 500 ms). */
const TICK_MS = 50;
/** Kernel socket buffers: a window of ~1 MiB in flight per connection must not overflow them. */
const SOCKET_BUFFER_BYTES = 4 << 20;

/** One uTP connection with its remote address; `handler` receives its events. */
export interface UtpStream {
  readonly remoteAddress: PeerAddress;
  readonly connection: UtpConnection;
  handler: UtpEvents | undefined;
}

export interface UtpSocketOptions {
  /** Address to bind: an IPv4 or IPv6 literal, or undefined for both families on all interfaces. */
  host?: string | undefined;
  port: number;
  /** An incoming connection (after its SYN): return false to refuse it (it is reset). Without it, SYNs are refused. */
  onIncoming?: (stream: UtpStream) => boolean;
  clock?: Clock;
  log?: Logger;
  random?: () => number;
}

export class UtpSocket {
  readonly #sockets = new Map<"4" | "6", dgram.Socket>();
  readonly #streams = new Map<string, UtpStream>();
  readonly #pendingAcks = new Set<UtpConnection>();
  readonly #opts: UtpSocketOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: () => number;
  /** Stops the tick; set while there are connections. */
  #stopTick: (() => void) | undefined;
  /** Acks of the datagrams read in one turn of the event loop go out together after it: no time involved. */
  #ackFlush: ReturnType<typeof setImmediate> | undefined;
  #port = 0;
  #closed = false;
  /** Datagrams sent and received; those that did not decode, named no connection of ours, or were refused SYNs. */
  readonly counters = { sent: 0, received: 0, malformed: 0, unknown: 0, refused: 0 };

  private constructor(opts: UtpSocketOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.log ?? silentLogger;
    this.#random = opts.random ?? Math.random;
  }

  /** Binds (both families when no host is given; IPv4 alone where IPv6 is missing). Throws RippleError("PORT_IN_USE"). */
  static async bind(opts: UtpSocketOptions): Promise<UtpSocket> {
    const s = new UtpSocket(opts);
    const host = opts.host;
    try {
      if (host === undefined) {
        const port = await s.#bindOne("4", "0.0.0.0", opts.port);
        await s.#bindOne("6", "::", port).catch((err: unknown) => {
          if (/EADDRINUSE|in use/i.test(errorMessage(err))) throw err;
          // No IPv6 on this machine: IPv4 alone.
        });
      } else {
        await s.#bindOne(host.includes(":") ? "6" : "4", host, opts.port);
      }
    } catch (err) {
      s.close();
      throw new RippleError("PORT_IN_USE", `cannot bind utp on ${host ?? "0.0.0.0"}:${opts.port}: ${errorMessage(err)}`, { cause: err });
    }
    return s;
  }

  get port(): number {
    return this.#port;
  }

  get connectionCount(): number {
    return this.#streams.size;
  }

  /**
   * Dials `address`; events go to `handler` (connect once the SYN is answered, or close when it is not).
   * Throws UtpError when this socket cannot (closed, no socket of that family, too many connections).
   */
  dial(address: PeerAddress, handler: UtpEvents | undefined): UtpStream {
    const family = address.host.includes(":") ? "6" : "4";
    if (this.#closed) throw new UtpError("utp socket closed");
    if (!this.#sockets.has(family)) throw new UtpError(`no utp socket for IPv${family} (${address.host})`);
    if (this.#streams.size >= LIMITS.utpConnections) throw new UtpError(`too many utp connections (${LIMITS.utpConnections})`);
    for (;;) {
      const recvId = Math.floor(this.#random() * 0x10000) & 0xffff;
      if (this.#streams.has(key(address, recvId)) || this.#streams.has(key(address, (recvId + 1) & 0xffff))) continue;
      return this.#newStream(address, recvId, handler, (env, events) => UtpConnection.dial(env, events, recvId));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#streams.values()]) s.connection.terminate("utp socket closed");
    this.#stopTick?.();
    if (this.#ackFlush) clearImmediate(this.#ackFlush);
    for (const socket of this.#sockets.values()) {
      try {
        socket.close();
      } catch {
        // ignore: closing a socket that never bound throws; there is nothing left to release.
      }
    }
  }

  #bindOne(family: "4" | "6", host: string, port: number): Promise<number> {
    const socket = dgram.createSocket({
      type: family === "6" ? "udp6" : "udp4",
      ...(family === "6" && { ipv6Only: true }),
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      socket.on("error", (err) => this.#log.debug(`utp socket error: ${errorMessage(err)}`));
      socket.on("message", (msg, rinfo) => this.#onDatagram(msg, rinfo.address, rinfo.port));
      this.#sockets.set(family, socket);
      this.#port = socket.address().port;
      resolve(this.#port);
    });
    return promise;
  }

  #newStream(address: PeerAddress, recvId: number, handler: UtpEvents | undefined, open: (env: UtpEnv, events: UtpEvents) => UtpConnection): UtpStream {
    const k = key(address, recvId);
    const stream = { remoteAddress: address, connection: undefined as unknown as UtpConnection, handler };
    const events: UtpEvents = {
      connect: () => stream.handler?.connect(),
      data: (bytes) => stream.handler?.data(bytes),
      drain: () => stream.handler?.drain(),
      close: (reason) => stream.handler?.close(reason),
    };
    const env = {
      now: () => this.#clock.now(),
      send: (packet: Uint8Array) => this.#send(address, packet),
      closed: () => {
        const { stats, congestion, rtt } = stream.connection;
        const s = Object.entries(stats).map(([name, n]) => `${name} ${n}`).join(", ");
        this.#log.debug(`utp ${address.host}:${address.port} closed: ${s}, window ${Math.round(congestion.windowBytes)}, rtt ${Math.round(rtt.rttMs ?? 0)} ms`);
        this.#streams.delete(k);
        this.#pendingAcks.delete(stream.connection);
        if (this.#streams.size === 0) {
          this.#stopTick?.();
          this.#stopTick = undefined;
        }
      },
    };
    this.#streams.set(k, stream);
    stream.connection = open(env, events);
    this.#stopTick ??= repeat(this.#clock, TICK_MS, () => this.#tick());
    return stream;
  }

  #onDatagram(msg: Uint8Array, host: string, port: number): void {
    this.counters.received++;
    let p: UtpPacket;
    try {
      p = decodePacket(msg);
    } catch (err) {
      // drop: garbage or another protocol on this port (a misbehaving remote is contained to its datagram).
      if (!(err instanceof UtpError)) throw err;
      this.counters.malformed++;
      return;
    }
    const address = { host: unmapIpv4(host), port };
    if (p.type === ST_SYN) return this.#onSyn(address, p);
    const stream = this.#streams.get(key(address, p.connectionId));
    if (!stream) {
      this.counters.unknown++;
      // A peer still sending on a connection we no longer have: tell it (never answer a reset or an ack).
      if (p.type === ST_DATA || p.type === ST_FIN) this.#sendReset(address, p);
      return;
    }
    stream.connection.receive(p);
    this.#queueAck(stream.connection);
  }

  #onSyn(address: PeerAddress, syn: UtpPacket): void {
    const recvId = (syn.connectionId + 1) & 0xffff;
    const existing = this.#streams.get(key(address, recvId));
    if (existing) {
      existing.connection.receive(syn);
      this.#queueAck(existing.connection);
      return;
    }
    const onIncoming = this.#opts.onIncoming;
    if (!onIncoming || this.#closed || this.#streams.size >= LIMITS.utpConnections) {
      this.counters.refused++;
      return this.#sendReset(address, syn);
    }
    const seq = Math.floor(this.#random() * 0x10000);
    const stream = this.#newStream(address, recvId, undefined, (env, events) => UtpConnection.accept(env, events, syn, seq));
    if (!onIncoming(stream)) stream.connection.terminate("refused");
  }

  #queueAck(conn: UtpConnection): void {
    if (!conn.ackPending) return;
    this.#pendingAcks.add(conn);
    this.#ackFlush ??= setImmediate(() => {
      this.#ackFlush = undefined;
      for (const c of this.#pendingAcks) c.flushAck();
      this.#pendingAcks.clear();
    });
  }

  #sendReset(address: PeerAddress, p: UtpPacket): void {
    const now = timestampUs(this.#clock.now());
    this.#send(address, encodePacket({ type: ST_RESET, connectionId: p.connectionId, timestampUs: now, timestampDiffUs: 0, windowBytes: 0, seq: 0, ack: p.seq, payload: new Uint8Array(0) }));
  }

  #send(address: PeerAddress, packet: Uint8Array): void {
    const socket = this.#sockets.get(address.host.includes(":") ? "6" : "4");
    if (!socket || this.#closed) return;
    this.counters.sent++;
    try {
      socket.send(packet, address.port, address.host);
    } catch (err) {
      // drop: a datagram the kernel refused (buffer full, unreachable); uTP retransmits what matters.
      this.#log.debug(`utp send to ${address.host}:${address.port} failed: ${errorMessage(err)}`);
    }
  }

  #tick(): void {
    for (const s of [...this.#streams.values()]) s.connection.tick();
  }
}

function key(address: PeerAddress, connectionId: number): string {
  return `${address.host}|${address.port}|${connectionId}`;
}

/** "::ffff:a.b.c.d" (an IPv4 peer on a dual-stack socket) as the plain dotted quad. */
function unmapIpv4(host: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(host) ? host.slice(7) : host;
}
