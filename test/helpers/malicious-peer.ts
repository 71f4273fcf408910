// A scripted hostile peer for tests: listens on 127.0.0.1:0 for a client to dial, or dials a client's
// port, and misbehaves in one chosen way; otherwise it answers like a plain seeder. Shell: owns sockets;
// frames with src/wire and queues writes with src/peer's WriteQueue. See hostile-scripts.ts for the misdeeds.

import type { Socket, TCPSocketListener } from "bun";
import { WireError, concatBytes, errorMessage } from "../../src/util/index.ts";
import { WriteQueue } from "../../src/peer/index.ts";
import { Bitfield, Framer, RESERVED_FAST, decodeHandshake, decodeMessage, encodeHandshake, encodeMessage, encodePieceHeader, hasReservedBit, makeReserved, maxMessageLengthFor, type Handshake, type PeerMessage } from "../../src/wire/index.ts";
import type { FakeTorrent } from "./fake-peer.ts";
import { SCRIPTS, type Misbehaviour, type Script } from "./hostile-scripts.ts";

export type { Misbehaviour } from "./hostile-scripts.ts";

export interface MaliciousPeerStats {
  connections: number;
  /** Requests received from the remote. */
  requests: number;
  /** Blocks sent honestly (scripts that tamper with blocks count in `tampered`). */
  blocksServed: number;
  tampered: number;
}

export interface MaliciousPeer extends AsyncDisposable {
  /** Listening port, or (when dialing) the local port the client sees us at. */
  readonly port: number;
  readonly stats: MaliciousPeerStats;
  /** Protocol errors of the client under test, as this peer saw them (expected: none). */
  readonly errors: readonly string[];
  /** Resolves once the peer has done its misdeed at least once (sent the bad frame, started a flood...). */
  readonly acted: Promise<void>;
  /** Resolves once a connection of this peer closed. */
  readonly closed: Promise<void>;
  stop(): void;
}

/** One connection of the hostile peer; scripts drive it through these methods. */
export class HostileConnection {
  readonly torrent: FakeTorrent;
  readonly pieceCount: number;
  readonly peer: HostilePeer;
  readonly #socket: Socket<HostileConnection>;
  readonly #framer: Framer;
  readonly #queue: WriteQueue;
  /** We dialed (our handshake goes first), rather than accepted. */
  readonly dialer: boolean;
  #sentHandshake = false;
  /** Whether we choke the remote (honest part: unchoked once it is interested). */
  choking = true;
  /** Both sides set the BEP 6 fast bit. */
  fast = false;
  /** Free slot for a script's own state. */
  scratch: Record<string, unknown> = {};

  constructor(socket: Socket<HostileConnection>, peer: HostilePeer, dialer: boolean) {
    this.#socket = socket;
    this.peer = peer;
    this.torrent = peer.torrent;
    this.pieceCount = Math.ceil(peer.torrent.totalLength / peer.torrent.pieceLength);
    this.dialer = dialer;
    this.#framer = new Framer({ maxMessageLength: maxMessageLengthFor(this.pieceCount), expectHandshake: true });
    this.#queue = new WriteQueue((data, offset, length) => Math.max(0, socket.write(data, offset, length)));
  }

  get script(): Script {
    return this.peer.script;
  }

  send(bytes: Uint8Array): void {
    this.#queue.push(bytes);
  }

  /** Our handshake (once); `infoHash` overrides the torrent's. */
  sendHandshake(infoHash = this.torrent.infoHash): void {
    if (this.#sentHandshake) return;
    this.#sentHandshake = true;
    this.send(encodeHandshake({ infoHash, peerId: this.peer.peerId, reserved: makeReserved({ fast: this.script.fast === true }) }));
  }

  /** Handshake (if not sent yet) and the full piece set, as a seeder greets. */
  greet(): void {
    this.sendHandshake();
    this.send(this.fast ? encodeMessage({ type: "have_all" }) : encodeMessage({ type: "bitfield", bytes: Bitfield.full(this.pieceCount).toBytes() }));
  }

  pieceLengthAt(index: number): number {
    return Math.min(this.torrent.pieceLength, this.torrent.totalLength - index * this.torrent.pieceLength);
  }

  /** A piece message for `index:begin`, its block the torrent's bytes (or `block` when given). */
  pieceFrame(index: number, begin: number, length: number, block?: Uint8Array): Uint8Array {
    const start = index * this.torrent.pieceLength + begin;
    const data = block ?? this.torrent.data.subarray(start, start + length);
    return concatBytes([encodePieceHeader(index, begin, data.length), data]);
  }

  /** The misdeed is done: resolves the peer's `acted`. */
  acted(): void {
    this.peer.actedResolvers.resolve();
  }

  /** Stops reading the socket: what the client sends piles up on its side. */
  pauseReading(): void {
    this.#socket.pause();
  }

  /** Closes after what the socket took is sent (mid-frame if that is where we are). */
  end(): void {
    this.#framer.stop();
    this.#socket.end();
  }

  /** Closes at once, whatever is queued. */
  abort(): void {
    this.#framer.stop();
    this.#queue.clear();
    this.#socket.terminate();
  }

  onOpen(): void {
    if (this.script.open) this.script.open(this);
    else if (this.dialer) this.sendHandshake();
  }

  onData(chunk: Uint8Array): void {
    try {
      this.#framer.push(chunk, {
        handshake: (bytes) => this.#onHandshake(decodeHandshake(bytes)),
        message: (id, payload) => this.#onMessage(decodeMessage(id, payload)),
        keepAlive: () => {},
      });
    } catch (err) {
      // The client under test broke the protocol: a test bug to see, not to hide.
      if (!(err instanceof WireError)) throw err;
      this.peer.errors.push(err.message);
      this.abort();
    }
  }

  onDrain(): void {
    this.#queue.flush();
  }

  #onHandshake(hs: Handshake): void {
    this.fast = this.script.fast === true && hasReservedBit(hs.reserved, RESERVED_FAST);
    if (this.script.handshake) this.script.handshake(this);
    else this.greet();
  }

  #onMessage(msg: PeerMessage): void {
    if (msg.type === "request") this.peer.stats.requests++;
    if (this.script.message?.(this, msg)) return;
    if (msg.type === "interested" && this.choking) {
      this.choking = false;
      this.send(encodeMessage({ type: "unchoke" }));
    } else if (msg.type === "request" && !this.choking) {
      if (this.script.serve) return this.script.serve(this, msg.index, msg.begin, msg.length);
      this.send(this.pieceFrame(msg.index, msg.begin, msg.length));
      this.peer.stats.blocksServed++;
    }
  }
}

/** State shared by the connections of one hostile peer. */
export class HostilePeer {
  readonly stats: MaliciousPeerStats = { connections: 0, requests: 0, blocksServed: 0, tampered: 0 };
  readonly actedResolvers = Promise.withResolvers<void>();
  readonly closedResolvers = Promise.withResolvers<void>();
  readonly sockets = new Set<Socket<HostileConnection>>();
  /** Protocol errors of the client under test, as seen by this peer. */
  readonly errors: string[] = [];
  readonly script: Script;

  constructor(
    readonly torrent: FakeTorrent,
    behaviour: Misbehaviour | Script,
    readonly peerId: Uint8Array,
  ) {
    this.script = typeof behaviour === "string" ? SCRIPTS[behaviour] : behaviour;
  }

  handlers(dialer: boolean) {
    return {
      binaryType: "uint8array" as const,
      open: (socket: Socket<HostileConnection>) => {
        this.stats.connections++;
        this.sockets.add(socket);
        socket.data = new HostileConnection(socket, this, dialer);
        socket.data.onOpen();
      },
      data: (socket: Socket<HostileConnection>, chunk: Uint8Array) => socket.data.onData(chunk),
      drain: (socket: Socket<HostileConnection>) => socket.data.onDrain(),
      close: (socket: Socket<HostileConnection>) => {
        this.sockets.delete(socket);
        this.closedResolvers.resolve();
      },
      error: (socket: Socket<HostileConnection>, err: Error) => {
        this.errors.push(`socket error: ${errorMessage(err)}`);
        socket.terminate();
      },
    };
  }

  stop(): void {
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
  }

  handle(port: number, stop: () => void): MaliciousPeer {
    return {
      port,
      stats: this.stats,
      errors: this.errors,
      acted: this.actedResolvers.promise,
      closed: this.closedResolvers.promise,
      stop,
      [Symbol.asyncDispose]: async () => stop(),
    };
  }
}

const peerIdFor = (behaviour: Misbehaviour | Script) =>
  new TextEncoder().encode(`-MP0001-${(typeof behaviour === "string" ? behaviour : "custom").replaceAll("-", "").slice(0, 12).padEnd(12, "x")}`);

/** A hostile peer listening on 127.0.0.1 and an OS-chosen port, for a client to dial. */
export function startMaliciousPeer(torrent: FakeTorrent, behaviour: Misbehaviour | Script): MaliciousPeer {
  const peer = new HostilePeer(torrent, behaviour, peerIdFor(behaviour));
  const server: TCPSocketListener<HostileConnection> = Bun.listen<HostileConnection>({ hostname: "127.0.0.1", port: 0, socket: peer.handlers(false) });
  return peer.handle(server.port, () => {
    server.stop(true);
    peer.stop();
  });
}

/** A hostile peer that dials a client on 127.0.0.1:`port` (the client's incoming path). */
export async function dialMaliciousPeer(torrent: FakeTorrent, port: number, behaviour: Misbehaviour | Script): Promise<MaliciousPeer> {
  const peer = new HostilePeer(torrent, behaviour, peerIdFor(behaviour));
  const socket = await Bun.connect<HostileConnection>({ hostname: "127.0.0.1", port, socket: peer.handlers(true) });
  return peer.handle(socket.localPort, () => peer.stop());
}
