// uTP (BEP 29, utp/) as a Transport, and the dialers built on it: uTP alone, one transport with the
// other as fallback, and the choice per address. Shell: drives connections of a UtpSocket.

import { UtpError, errorMessage, formatPeerAddress, isLocalAddress, systemClock, type PeerAddress, type Timers } from "../util/index.ts";
import type { UtpSocket, UtpStream } from "../utp/index.ts";
import { dialTcp, type Dialer, type Transport, type TransportHandler } from "./transport.ts";

/**
 * How peers are dialed: "auto" (TCP first to loopback and private addresses, falling back to uTP; uTP
 * first to others, with TCP raced beside it after RACE_DELAY_MS), "prefer" (uTP first everywhere), "only"
 * (uTP alone), "off" (TCP alone).
 */
export type UtpMode = "auto" | "prefer" | "only" | "off";
export const UTP_MODES: readonly UtpMode[] = ["auto", "prefer", "only", "off"];

export class UtpTransport implements Transport {
  readonly kind = "utp";
  readonly remoteAddress: PeerAddress;
  handler: TransportHandler | undefined;
  readonly #stream: UtpStream;

  /** Takes over the stream's events; `onConnect` hears when a dialed stream opens. */
  constructor(stream: UtpStream, onConnect?: () => void) {
    this.#stream = stream;
    this.remoteAddress = stream.remoteAddress;
    stream.handler = {
      connect: () => onConnect?.(),
      data: (bytes) => this.handler?.data(bytes),
      drain: () => this.handler?.drain(),
      close: (reason) => this.handler?.close(reason),
    };
  }

  write(data: Uint8Array, offset: number, length: number): number {
    return this.#stream.connection.write(data, offset, length);
  }

  setIdleTimeout(sec: number): void {
    this.#stream.connection.setIdleTimeout(sec * 1000);
  }

  end(): void {
    this.#stream.connection.end();
  }

  terminate(): void {
    this.#stream.connection.terminate();
  }
}

/** Dials over uTP on `socket`. */
export function utpDialer(socket: UtpSocket): Dialer {
  return (address, handler) => {
    try {
      // The SYN goes out now; events start on a later datagram, by when the transport has the stream.
      const stream = socket.dial(address, undefined);
      const transport: UtpTransport = new UtpTransport(stream, () => handler.open(transport));
      transport.handler = handler;
    } catch (err) {
      // A dial this socket cannot make (closed, wrong family, full) fails like a refused connection.
      if (!(err instanceof UtpError)) throw err;
      queueMicrotask(() => handler.close(`utp connect failed: ${errorMessage(err)}`));
    }
  };
}

/** Dials with `first`; if that fails before opening, with `second` (the caller sees one dial). */
export function fallbackDialer(first: Dialer, second: Dialer): Dialer {
  return (address, handler) => {
    let opened = false;
    first(address, {
      open: (t) => {
        opened = true;
        handler.open(t);
      },
      data: (bytes) => handler.data(bytes),
      drain: () => handler.drain(),
      close: (reason) => {
        if (opened) return handler.close(reason);
        // The second dial's failure names both.
        let secondOpened = false;
        second(address, {
          ...handler,
          open: (t) => {
            secondOpened = true;
            handler.open(t);
          },
          close: (r) => handler.close(secondOpened ? r : `${reason}; then ${r}`),
        });
      },
    });
  };
}

/** How long a uTP dial has alone before TCP is tried beside it (RFC 8305's connection attempt delay). */
export const RACE_DELAY_MS = 250;

/**
 * Dials with `first`, and with `second` too once `first` has not opened within `delayMs` (or has
 * failed): the first to open wins and the other is closed, so a peer without the preferred transport
 * costs a quarter second, not the preferred one's whole connect timeout (the caller sees one dial).
 */
export function racingDialer(first: Dialer, second: Dialer, delayMs = RACE_DELAY_MS, timers: Timers = systemClock): Dialer {
  return (address, handler) => {
    let winner: Transport | undefined;
    let pending = 0;
    const reasons: string[] = [];
    let timer: unknown;
    const attempt = (dial: Dialer): void => {
      pending++;
      let mine: Transport | undefined;
      dial(address, {
        open: (t) => {
          mine = t;
          if (winner) return t.terminate(); // the other one won: this one is not needed
          winner = t;
          timers.clearTimeout(timer);
          handler.open(t);
        },
        data: (bytes) => {
          if (mine !== undefined && mine === winner) handler.data(bytes);
        },
        drain: () => {
          if (mine !== undefined && mine === winner) handler.drain();
        },
        close: (reason) => {
          if (mine !== undefined && mine === winner) return handler.close(reason);
          pending--;
          if (winner) return;
          reasons.push(reason);
          if (started === 1) startSecond();
          else if (pending === 0) handler.close(reasons.join("; then "));
        },
      });
    };
    let started = 1;
    const startSecond = (): void => {
      if (started === 2 || winner) return;
      started = 2;
      timers.clearTimeout(timer);
      attempt(second);
    };
    attempt(first);
    timer = timers.setTimeout(startSecond, delayMs);
  };
}

/** Addresses remembered by DialTransports; past it the oldest is forgotten. */
const MAX_REMEMBERED = 4096;

/**
 * Per address, the transport whose connection opened but ended before the peer's handshake (libtorrent
 * with TCP off still accepts TCP connections, then resets them): the next dial tries the other first.
 * Shared by every torrent of a client. Pure.
 */
export class DialTransports {
  readonly #failed = new Map<string, "tcp" | "utp">();

  /** A dialed connection over `kind` ended before its handshake. */
  failedBeforeHandshake(key: string, kind: "tcp" | "utp" | undefined): void {
    if (kind === undefined) return;
    this.#failed.delete(key);
    if (this.#failed.size >= MAX_REMEMBERED) this.#failed.delete(this.#failed.keys().next().value!);
    this.#failed.set(key, kind);
  }

  succeeded(key: string): void {
    this.#failed.delete(key);
  }

  /** Which transport to try first at `key`, given the preferred one. */
  firstFor(key: string, preferred: "tcp" | "utp"): "tcp" | "utp" {
    return this.#failed.get(key) === preferred ? (preferred === "tcp" ? "utp" : "tcp") : preferred;
  }
}

/** The dialer for `mode`; without a uTP socket, TCP. `memory` turns the order around where the first one failed. */
export function chooseDialer(mode: UtpMode, socket: UtpSocket | undefined, memory?: DialTransports, timers: Timers = systemClock): Dialer {
  if (!socket || mode === "off") return dialTcp;
  const utp = utpDialer(socket);
  if (mode === "only") return utp;
  // uTP first races TCP after a moment: a peer without uTP (aria2, TCP-only clients) answers no SYN, and
  // waiting out uTP's connect timeout would cost seconds per such peer.
  const utpFirst = racingDialer(utp, dialTcp, RACE_DELAY_MS, timers);
  const tcpFirst = fallbackDialer(dialTcp, utp);
  return (address, handler) => {
    const preferred = mode === "auto" && isLocalAddress(address.host) ? "tcp" : "utp";
    const first = memory ? memory.firstFor(formatPeerAddress(address), preferred) : preferred;
    (first === "tcp" ? tcpFirst : utpFirst)(address, handler);
  };
}
