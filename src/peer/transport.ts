// The byte stream a peer connection runs over (TCP here, uTP in utp-transport.ts), so PeerConnection
// and the MSE/PE code never touch a socket. Shell: the TCP adapter owns a Bun socket.

import type { Socket } from "bun";
import { errorMessage, type PeerAddress } from "../util/index.ts";

/** What a transport reports to its owner; `close` comes once, whatever ended it. */
export interface TransportHandler {
  data(chunk: Uint8Array): void;
  /** The transport took everything written before and has room again. */
  drain(): void;
  close(reason: string): void;
}

export interface Transport {
  readonly kind: "tcp" | "utp";
  readonly remoteAddress: PeerAddress;
  /** Where events go; set by the owner before any arrive. */
  handler: TransportHandler | undefined;
  /**
   * Writes what it can now; returns how many bytes were taken (the rest waits for `drain`). What it took
   * is sent or copied before this returns: the caller may reuse `data` (the uploader's batch buffer does).
   */
  write(data: Uint8Array, offset: number, length: number): number;
  /** Close after this many seconds without a received byte (reset by each call). */
  setIdleTimeout(sec: number): void;
  /** Graceful close: what was written is still delivered. */
  end(): void;
  /** Abortive close: nothing more is sent or received. */
  terminate(): void;
}

/** Events of a dial: `open` once connected (then the transport's handler), or `close` when it failed. */
export interface DialHandler extends TransportHandler {
  open(transport: Transport): void;
}

/** Opens a transport to `address`; failure arrives as handler.close. */
export type Dialer = (address: PeerAddress, handler: DialHandler) => void;

/** "::ffff:a.b.c.d" (an IPv4 peer on a dual-stack socket) as the plain dotted quad. */
export function unmapIpv4(host: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(host) ? host.slice(7) : host;
}

/** A Bun TCP socket as a Transport. */
export class TcpTransport implements Transport {
  readonly kind = "tcp";
  readonly remoteAddress: PeerAddress;
  handler: TransportHandler | undefined;
  #socket: Socket<TcpTransport> | undefined;
  /** A dial not yet open reports `open` here. */
  #dial: DialHandler | undefined;
  #closeReported = false;

  constructor(remoteAddress: PeerAddress, socket?: Socket<TcpTransport>) {
    this.remoteAddress = remoteAddress;
    if (socket) this.#adopt(socket);
  }

  /** Wraps an accepted socket (its `data` becomes the transport). */
  static accepted(socket: Socket<TcpTransport>): TcpTransport {
    const t = new TcpTransport({ host: unmapIpv4(socket.remoteAddress), port: socket.remotePort ?? 0 }, socket);
    socket.data = t;
    return t;
  }

  write(data: Uint8Array, offset: number, length: number): number {
    return this.#socket?.write(data, offset, length) ?? 0;
  }

  setIdleTimeout(sec: number): void {
    this.#socket?.timeout(sec);
  }

  end(): void {
    this.#socket?.end();
  }

  terminate(): void {
    this.#socket?.terminate();
  }

  static dial(address: PeerAddress, handler: DialHandler): void {
    const t = new TcpTransport(address);
    t.handler = handler;
    t.#dial = handler;
    Bun.connect<TcpTransport>({ hostname: address.host, port: address.port, data: t, socket: TcpTransport.socketHandlers }).catch((err: unknown) =>
      t._reportClose(`connect failed: ${errorMessage(err)}`),
    );
  }

  /** Reports the close to the handler, once (Bun may report an end and then a close). Internal. */
  _reportClose(reason: string): void {
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.handler?.close(reason);
  }

  #adopt(socket: Socket<TcpTransport>): void {
    this.#socket = socket;
    socket.setNoDelay?.(true);
  }

  /** Bun's socket callbacks; per-connection state rides in socket.data. */
  static readonly socketHandlers = {
    open(socket: Socket<TcpTransport>) {
      const t = socket.data;
      t.#adopt(socket);
      const dial = t.#dial;
      t.#dial = undefined;
      dial?.open(t);
    },
    data(socket: Socket<TcpTransport>, chunk: Uint8Array) {
      socket.data.handler?.data(chunk);
    },
    drain(socket: Socket<TcpTransport>) {
      socket.data.handler?.drain();
    },
    close(socket: Socket<TcpTransport>, error?: Error) {
      socket.data?._reportClose(error ? `socket closed: ${error.message}` : "closed by peer");
    },
    end(socket: Socket<TcpTransport>) {
      socket.data?._reportClose("closed by peer");
      socket.end();
    },
    error(socket: Socket<TcpTransport>, error: Error) {
      socket.data?._reportClose(`socket error: ${error.message}`);
      socket.terminate();
    },
    timeout(socket: Socket<TcpTransport>) {
      // Bun only reports the timeout; the socket stays open until we close it.
      socket.data?._reportClose("timed out");
      socket.terminate();
    },
    connectError(socket: Socket<TcpTransport>, error: Error) {
      socket.data?._reportClose(`connect failed: ${error.message}`);
    },
  };
}

/** Dials over TCP. */
export const dialTcp: Dialer = (address, handler) => TcpTransport.dial(address, handler);
