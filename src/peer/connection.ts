// One peer connection over a Transport (TCP or uTP): framer in, write queue out, typed events to a handler.
// Shell: owns the transport. It never decides what to request; the swarm's PeerHandler does.

import { WireError, bytesEqual, formatPeerAddress, systemClock, type Clock, type PeerAddress } from "../util/index.ts";
import {
  Framer,
  HANDSHAKE_LENGTH,
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  type Handshake,
  type PeerMessage,
} from "../wire/index.ts";
import { IncomingStream, OutgoingStream, type EncryptionPolicy, type MseLookup, type PeerStream } from "./encryption.ts";
import { WriteQueue } from "./write-queue.ts";
import { dialTcp, type Dialer, type Transport, type TransportHandler } from "./transport.ts";

/** What the swarm implements to drive a connection. Payload views are valid only during the call. */
export interface PeerHandler {
  /** Remote handshake arrived (infoHash already checked); return false to drop the peer. */
  onHandshake(conn: PeerConnection, handshake: Handshake): boolean;
  onMessage(conn: PeerConnection, message: PeerMessage): void;
  /** The socket drained its write queue (room for more uploads). */
  onDrain?(conn: PeerConnection): void;
  /** The connection closed; `reason` says why (a protocol error, a timeout, the remote). */
  onClose(conn: PeerConnection, reason: string): void;
}

/** Our side of the handshake. */
export interface LocalIdentity {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly reserved: Uint8Array;
}

/** Seconds without any received byte before a handshaken connection is dropped. */
export const IDLE_TIMEOUT_SEC = 180;
/** Time from the socket opening to the end of the remote handshake, however slowly its bytes trickle in. */
export const HANDSHAKE_TIMEOUT_MS = 20_000;

type RouteIncoming = (infoHash: Uint8Array) => { identity: LocalIdentity; handler: PeerHandler } | undefined;

export class PeerConnection {
  readonly address: PeerAddress;
  readonly outgoing: boolean;
  /** Remote peer id, known after the handshake. */
  remotePeerId: Uint8Array | undefined;
  remoteReserved: Uint8Array | undefined;
  /** Payload bytes of `piece` messages received / sent. */
  downloadedBytes = 0;
  uploadedBytes = 0;
  /** Frames handed to send(); the swarm compares it across ticks to know when a keep-alive is due. */
  sentMessages = 0;
  /** Free slot for the swarm's per-peer state. */
  state: unknown;

  #transport: Transport | undefined;
  #handler: PeerHandler | undefined;
  #identity: LocalIdentity | undefined;
  #route: RouteIncoming | undefined;
  /** MSE/PE before the peer handshake (incoming: when the peer opens with it; dialed: when we offer it). */
  #stream: PeerStream | undefined;
  /** Closed during our MSE/PE handshake on a dial (the peer may speak only plaintext). */
  encryptionFailed = false;
  readonly #framer: Framer;
  readonly #queue: WriteQueue;
  #closed = false;
  #handshaken = false;
  readonly #handshakeTimeoutMs: number;
  #handshakeTimer: unknown;
  readonly #clock: Clock;

  private constructor(address: PeerAddress, outgoing: boolean, handshakeTimeoutMs: number, clock: Clock) {
    this.address = address;
    this.outgoing = outgoing;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
    this.#clock = clock;
    this.#framer = new Framer({ maxMessageLength: 1 << 20, expectHandshake: true });
    this.#queue = new WriteQueue((data, offset, length) => this.#transport?.write(data, offset, length) ?? 0);
  }

  /**
   * Dials a peer; events go to `handler`. Failures to connect arrive as onClose. `mseProvide` (MSE/PE
   * crypto_provide bits) opens with an encryption handshake carrying ours; without it, plaintext.
   * `dial` opens the transport (TCP by default); `clock` runs the handshake deadline.
   */
  static connect(
    address: PeerAddress,
    identity: LocalIdentity,
    handler: PeerHandler,
    maxMessageLength: number,
    handshakeTimeoutMs = HANDSHAKE_TIMEOUT_MS,
    mseProvide?: number,
    dial: Dialer = dialTcp,
    clock: Clock = systemClock,
  ): PeerConnection {
    const conn = new PeerConnection(address, true, handshakeTimeoutMs, clock);
    conn.#identity = identity;
    if (mseProvide !== undefined) conn.#stream = new OutgoingStream(identity.infoHash, mseProvide, encodeHandshake(identity));
    conn.#handler = handler;
    conn.#framer.setMaxMessageLength(maxMessageLength);
    dial(address, { ...conn.#events, open: (transport) => conn.#onOpen(transport) });
    return conn;
  }

  /**
   * Wraps an accepted transport; the torrent is chosen by `route` once the remote handshake names it. With
   * `mse`, the peer may open with MSE/PE; `encryption` "require" then refuses plain handshakes.
   */
  static accept(
    transport: Transport,
    route: RouteIncoming,
    handshakeTimeoutMs = HANDSHAKE_TIMEOUT_MS,
    mse?: MseLookup,
    encryption: EncryptionPolicy = "prefer",
    clock: Clock = systemClock,
  ): PeerConnection {
    const conn = new PeerConnection(transport.remoteAddress, false, handshakeTimeoutMs, clock);
    conn.#route = route;
    if (mse) conn.#stream = new IncomingStream(mse, encryption === "require");
    conn.#attach(transport);
    return conn;
  }

  get name(): string {
    return formatPeerAddress(this.address);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The transport was established (a close before the handshake is then the peer's doing, not the network's). */
  get opened(): boolean {
    return this.#transport !== undefined;
  }

  /** "tcp" or "utp" once open. */
  get transportKind(): "tcp" | "utp" | undefined {
    return this.#transport?.kind;
  }

  /** How the stream is carried once the handshake is through: "rc4", or "plaintext" (with or without MSE). */
  get encryption(): "rc4" | "plaintext" {
    return this.#stream?.method ?? "plaintext";
  }

  /** The connection went through an MSE/PE handshake (whatever method it then chose). */
  get viaMse(): boolean {
    const s = this.#stream;
    return s instanceof OutgoingStream ? s.done : s instanceof IncomingStream && s.infoHash !== undefined;
  }

  /** Bytes waiting for the socket to drain. */
  get queuedBytes(): number {
    return this.#queue.queuedBytes;
  }

  setMaxMessageLength(n: number): void {
    this.#framer.setMaxMessageLength(n);
  }

  /** Queues a frame (or several). `transient`: the caller reuses `bytes` after this returns (see WriteQueue.push). */
  send(bytes: Uint8Array, transient = false): void {
    if (this.#closed || !this.#transport) return;
    this.sentMessages++;
    // A transient buffer is the caller's scratch: RC4 may encrypt it where it lies.
    this.#queue.push(this.#stream ? this.#stream.outgoing(bytes, transient) : bytes, transient);
  }

  /** Closes the connection; onClose reports `reason` once. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#onClosed(reason);
    this.#transport?.end();
  }

  #attach(transport: Transport): void {
    this.#transport = transport;
    transport.handler = this.#events;
    // drop: a handshake not complete within handshakeTimeoutMs of the socket opening (slowloris: a few
    // bytes, then nothing, or one byte at a time). An absolute deadline, not reset by data; a timer of
    // our own because Bun's socket.timeout() fires in 4 s steps.
    this.#handshakeTimer ??= this.#clock.setTimeout(() => {
      if (this.#closed || this.#handshaken) return;
      this.#onClosed(`handshake not completed within ${this.#handshakeTimeoutMs} ms (peer ${this.name})`);
      this.#transport?.terminate();
    }, this.#handshakeTimeoutMs);
  }

  readonly #events: TransportHandler = {
    data: (chunk) => this.#onData(chunk),
    drain: () => this.#onDrain(),
    close: (reason) => this.#onClosed(reason),
  };

  /** Transport open: outgoing connections send their handshake first (BEP 3). */
  #onOpen(transport: Transport): void {
    this.#attach(transport);
    if (this.#closed) {
      transport.end();
      return;
    }
    if (!this.outgoing) return;
    if (this.#stream instanceof OutgoingStream) this.#queue.push(this.#stream.hello());
    else this.send(encodeHandshake(this.#identity!));
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.#handshaken) this.#transport?.setIdleTimeout(IDLE_TIMEOUT_SEC);
    try {
      const stream = this.#stream;
      if (stream && !stream.plain) {
        const bytes = stream.receive(chunk, (reply) => this.#queue.push(reply));
        if (bytes === undefined) return;
        chunk = bytes;
      }
      this.#framer.push(chunk, this.#frameHandlers);
    } catch (err) {
      // drop: any protocol error (a length prefix over the cap, a malformed handshake) closes the connection.
      if (err instanceof WireError) this.close(`${err.message} (peer ${this.name})`);
      else throw err;
    }
  }

  #onDrain(): void {
    this.#queue.flush();
    if (this.#queue.queuedBytes === 0 && this.#handshaken) this.#handler?.onDrain?.(this);
  }

  readonly #frameHandlers = {
    handshake: (bytes: Uint8Array) => this.#onHandshake(bytes),
    message: (id: number, payload: Uint8Array) => {
      if (this.#closed) return;
      this.#handler!.onMessage(this, decodeMessage(id, payload));
    },
    keepAlive: () => {
      // Receiving it already reset the idle timer in _onData.
    },
  };

  #onHandshake(bytes: Uint8Array): void {
    if (bytes.length !== HANDSHAKE_LENGTH) throw new WireError(`bad handshake length ${bytes.length}`);
    const hs = decodeHandshake(bytes);
    if (!this.outgoing) {
      const incoming = this.#stream instanceof IncomingStream ? this.#stream : undefined;
      incoming?.checkInfoHash(hs.infoHash);
      const routed = this.#route!(hs.infoHash);
      // drop: an incoming handshake for a torrent we do not serve (or one that is full).
      if (!routed) {
        this.close(`unknown info hash from ${this.name}`);
        return;
      }
      this.#identity = routed.identity;
      this.#handler = routed.handler;
      // drop: a plain handshake while encryption is required (the torrent hears why).
      if (incoming?.refused) {
        this.close(`plaintext handshake refused: encryption is required (peer ${this.name})`);
        return;
      }
      this.send(encodeHandshake(routed.identity));
    } else if (!bytesEqual(hs.infoHash, this.#identity!.infoHash)) {
      // drop: the peer we dialed answered for another torrent.
      this.close(`peer ${this.name} answered with another info hash`);
      return;
    }
    this.remotePeerId = hs.peerId;
    this.remoteReserved = hs.reserved;
    this.#handshaken = true;
    this.#clock.clearTimeout(this.#handshakeTimer);
    this.#transport?.setIdleTimeout(IDLE_TIMEOUT_SEC);
    if (!this.#handler!.onHandshake(this, hs)) this.close(`peer ${this.name} refused after handshake`);
  }

  #onClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stream instanceof OutgoingStream && !this.#stream.done && this.#transport !== undefined) {
      this.encryptionFailed = true;
      if (!reason.startsWith("encryption handshake")) reason = `encryption handshake failed: ${reason} (peer ${this.name})`;
    }
    this.#clock.clearTimeout(this.#handshakeTimer);
    this.#queue.clear();
    // Only peers that reached a handler hear about the close; unrouted incoming sockets just vanish.
    this.#handler?.onClose(this, reason);
  }
}
