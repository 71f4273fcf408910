// A scriptable fake seeder for integration tests: listens on 127.0.0.1 and serves blocks over BEP 3
// (plus BEP 6 have_all/reject when both sides set the fast bit). Shell: owns sockets; uses only wire + Bun.

import type { Socket, TCPSocketListener } from "bun";
import { WireError, bytesEqual, errorMessage } from "../../src/util/index.ts";
import {
  Bitfield,
  Framer,
  RESERVED_FAST,
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  encodePieceHeader,
  hasReservedBit,
  makeReserved,
  maxMessageLengthFor,
  type FrameHandlers,
  type PeerMessage,
} from "../../src/wire/index.ts";

/** The torrent the seeder serves; `data` is the whole payload. */
export interface FakeTorrent {
  readonly infoHash: Uint8Array;
  readonly pieceLength: number;
  readonly totalLength: number;
  readonly data: Uint8Array;
  /** Concatenated piece hashes; only their count is checked against the geometry. */
  readonly pieceHashes?: Uint8Array;
}

/** How the seeder misbehaves. Block counts are per connection. */
export interface FakeSeederOptions {
  /** Pieces advertised (and served); default "all". Requests for other pieces are ignored (rejected with fast). */
  readonly have?: "all" | readonly number[];
  /** Flip the first byte of every block sent (true) or of blocks of the listed pieces. */
  readonly corrupt?: boolean | readonly number[];
  /** After sending this many blocks, flush and close the socket (mid-piece, if the remote asked for more). */
  readonly dropAfterBlocks?: number;
  /** After sending this many blocks, send choke and serve nothing more on that connection. */
  readonly chokeAfterBlocks?: number;
  /** 20 bytes; default "-FK0001-" + 12 bytes of 'x'. */
  readonly peerId?: Uint8Array;
  /** Set the BEP 6 fast bit: have_all/have_none, and reject instead of ignore. Default false. */
  readonly fast?: boolean;
  /** Serve at most this many block bytes per second per connection (a slow link). Default unlimited. */
  readonly rateBytesPerSec?: number;
}

export interface FakeSeederStats {
  /** Accepted TCP connections. */
  connections: number;
  /** Valid request messages received, per piece index. */
  readonly requests: number[];
  blocksServed: number;
  cancels: number;
  /** Requests not served: choked, piece not advertised. */
  unserved: number;
  /** socket.write calls that took less than offered (the rest waited for drain). */
  partialWrites: number;
  /** Protocol violations by the remote (malformed frames, bad handshakes, out-of-range requests). */
  readonly errors: string[];
}

export interface FakeSeeder extends Disposable, AsyncDisposable {
  readonly port: number;
  readonly peerId: Uint8Array;
  readonly stats: FakeSeederStats;
  /** Closes the listener and every open connection. Idempotent. */
  stop(): void;
}

/** BEP 3: clients drop requests above 128 KiB; we treat them as a protocol violation. */
const MAX_REQUEST_LENGTH = 128 * 1024;

class FakeConnection {
  readonly framer: Framer;
  readonly #socket: Socket<FakeConnection>;
  readonly #seeder: Seeder;
  #queue: Uint8Array[] = [];
  #handshaken = false;
  #fast = false;
  #choked = true;
  #blocksSent = 0;
  #ending = false;
  #sentHandshake = false;
  #paced = 0;
  #pacedSince: number | undefined;

  constructor(socket: Socket<FakeConnection>, seeder: Seeder) {
    this.#socket = socket;
    this.#seeder = seeder;
    this.framer = new Framer({ maxMessageLength: maxMessageLengthFor(seeder.pieceCount), expectHandshake: true });
  }

  readonly handlers: FrameHandlers = {
    handshake: (bytes) => this.#onHandshake(bytes),
    message: (id, payload) => this.#onMessage(decodeMessage(id, payload)),
    keepAlive: () => {},
  };

  onData(chunk: Uint8Array): void {
    try {
      this.framer.push(chunk, this.handlers);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.fail(err.message);
    }
  }

  fail(reason: string): void {
    this.#seeder.stats.errors.push(reason);
    this.close();
  }

  close(): void {
    this.framer.stop();
    this.#queue = [];
    this.#socket.end();
  }

  /** Writes now what the socket takes; queues the rest until drain. */
  send(bytes: Uint8Array): void {
    if (this.#queue.length > 0) {
      this.#queue.push(bytes);
      return;
    }
    const n = this.#socket.write(bytes);
    if (n < 0) return; // Socket already closed: the close callback cleans up.
    if (n < bytes.length) {
      this.#seeder.stats.partialWrites++;
      this.#queue.push(bytes.subarray(n));
    }
  }

  onDrain(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const n = this.#socket.write(head);
      if (n < 0) return;
      if (n < head.length) {
        this.#seeder.stats.partialWrites++;
        this.#queue[0] = head.subarray(n);
        return;
      }
      this.#queue.shift();
    }
    if (this.#ending) this.close();
  }

  /** Dialing side: our handshake goes first (BEP 3); the bitfield follows the remote's handshake. */
  sendHandshake(): void {
    const s = this.#seeder;
    this.#sentHandshake = true;
    this.send(encodeHandshake({ infoHash: s.torrent.infoHash, peerId: s.peerId, reserved: makeReserved({ fast: s.options.fast }) }));
  }

  #onHandshake(bytes: Uint8Array): void {
    const hs = decodeHandshake(bytes);
    const s = this.#seeder;
    if (!bytesEqual(hs.infoHash, s.torrent.infoHash)) return this.fail("handshake for another info hash");
    this.#handshaken = true;
    s.remotePeerIds.push(hs.peerId);
    this.#fast = s.options.fast === true && hasReservedBit(hs.reserved, RESERVED_FAST);
    if (!this.#sentHandshake) this.sendHandshake();
    if (this.#fast && s.have.isFull()) this.send(encodeMessage({ type: "have_all" }));
    else if (this.#fast && s.have.isEmpty()) this.send(encodeMessage({ type: "have_none" }));
    else if (!s.have.isEmpty()) this.send(encodeMessage({ type: "bitfield", bytes: s.have.toBytes() }));
  }

  #onMessage(msg: PeerMessage): void {
    if (!this.#handshaken) return;
    switch (msg.type) {
      case "interested":
        if (this.#choked && !this.#chokedForGood()) {
          this.#choked = false;
          this.send(encodeMessage({ type: "unchoke" }));
        }
        return;
      case "request":
        return this.#onRequest(msg.index, msg.begin, msg.length);
      case "cancel":
        this.#seeder.stats.cancels++;
        return;
      default:
        return;
    }
  }

  #chokedForGood(): boolean {
    const limit = this.#seeder.options.chokeAfterBlocks;
    return limit !== undefined && this.#blocksSent >= limit;
  }

  #onRequest(index: number, begin: number, length: number): void {
    const s = this.#seeder;
    if (index >= s.pieceCount || length === 0 || length > MAX_REQUEST_LENGTH || begin + length > s.pieceLengthAt(index)) {
      return this.fail(`bad request: piece ${index} begin ${begin} length ${length}`);
    }
    s.stats.requests[index]!++;
    if (this.#ending || this.#choked || !s.have.has(index)) {
      s.stats.unserved++;
      if (this.#fast && !this.#ending) this.send(encodeMessage({ type: "reject", index, begin, length }));
      return;
    }
    const rate = s.options.rateBytesPerSec;
    if (rate !== undefined) {
      // Each block leaves when the link would have carried it: t0 + bytes so far / rate.
      this.#paced += length;
      this.#pacedSince ??= performance.now();
      const due = this.#pacedSince + (this.#paced / rate) * 1000 - performance.now();
      setTimeout(() => this.#serve(index, begin, length), Math.max(0, due));
      return;
    }
    this.#serve(index, begin, length);
  }

  #serve(index: number, begin: number, length: number): void {
    const s = this.#seeder;
    if (this.framer.stopped || this.#ending) return;
    const start = index * s.torrent.pieceLength + begin;
    let block = s.torrent.data.subarray(start, start + length);
    const corrupt = s.options.corrupt;
    if (corrupt === true || (Array.isArray(corrupt) && corrupt.includes(index))) {
      block = new Uint8Array(block);
      block[0]! ^= 0xff;
    }
    this.send(encodePieceHeader(index, begin, length));
    this.send(block);
    this.#blocksSent++;
    s.stats.blocksServed++;
    if (s.options.dropAfterBlocks !== undefined && this.#blocksSent >= s.options.dropAfterBlocks) {
      this.#ending = true;
      if (this.#queue.length === 0) this.close();
    } else if (this.#chokedForGood()) {
      this.#choked = true;
      this.send(encodeMessage({ type: "choke" }));
    }
  }
}

class Seeder {
  readonly pieceCount: number;
  readonly have: Bitfield;
  readonly peerId: Uint8Array;
  readonly stats: FakeSeederStats;
  readonly sockets = new Set<Socket<FakeConnection>>();
  /** Peer ids of the remotes that completed a handshake. */
  readonly remotePeerIds: Uint8Array[] = [];

  constructor(
    readonly torrent: FakeTorrent,
    readonly options: FakeSeederOptions,
  ) {
    if (torrent.data.length !== torrent.totalLength) {
      throw new RangeError(`fake seeder: data is ${torrent.data.length} bytes, totalLength ${torrent.totalLength}`);
    }
    this.pieceCount = Math.ceil(torrent.totalLength / torrent.pieceLength);
    if (torrent.pieceHashes && torrent.pieceHashes.length !== 20 * this.pieceCount) {
      throw new RangeError(`fake seeder: ${torrent.pieceHashes.length / 20} piece hashes for ${this.pieceCount} pieces`);
    }
    const have = options.have ?? "all";
    this.have = have === "all" ? Bitfield.full(this.pieceCount) : new Bitfield(this.pieceCount);
    if (have !== "all") for (const i of have) this.have.set(i);
    this.peerId = options.peerId ?? new TextEncoder().encode("-FK0001-xxxxxxxxxxxx");
    this.stats = { connections: 0, requests: new Array<number>(this.pieceCount).fill(0), blocksServed: 0, cancels: 0, unserved: 0, partialWrites: 0, errors: [] };
  }

  pieceLengthAt(index: number): number {
    return Math.min(this.torrent.pieceLength, this.torrent.totalLength - index * this.torrent.pieceLength);
  }
}

/** Starts a seeder on 127.0.0.1 and an OS-chosen port. Use with `using`/`await using`, or call stop(). */
export function startFakeSeeder(torrent: FakeTorrent, options: FakeSeederOptions = {}): FakeSeeder {
  const seeder = new Seeder(torrent, options);
  const server: TCPSocketListener<FakeConnection> = Bun.listen<FakeConnection>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      binaryType: "uint8array",
      open(socket) {
        seeder.stats.connections++;
        seeder.sockets.add(socket);
        socket.data = new FakeConnection(socket, seeder);
      },
      data(socket, chunk) {
        socket.data.onData(chunk);
      },
      drain(socket) {
        socket.data.onDrain();
      },
      close(socket) {
        seeder.sockets.delete(socket);
        socket.data?.framer.stop();
      },
      error(socket, err) {
        seeder.stats.errors.push(`socket error: ${errorMessage(err)}`);
        socket.data?.close();
      },
    },
  });
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    server.stop(true);
    for (const socket of seeder.sockets) socket.terminate();
    seeder.sockets.clear();
  };
  return {
    port: server.port,
    peerId: seeder.peerId,
    stats: seeder.stats,
    stop,
    [Symbol.dispose]: stop,
    [Symbol.asyncDispose]: async () => stop(),
  };
}

/** A seeder that dials `port` on 127.0.0.1 instead of listening (tests a client's incoming path). */
export async function dialFakeSeeder(
  torrent: FakeTorrent,
  port: number,
  options: FakeSeederOptions = {},
): Promise<FakeSeeder & { remotePeerIds: Uint8Array[]; closed: Promise<void> }> {
  const seeder = new Seeder(torrent, options);
  const closed = Promise.withResolvers<void>();
  const socket = await Bun.connect<FakeConnection>({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      open(socket) {
        seeder.stats.connections++;
        seeder.sockets.add(socket);
        socket.data = new FakeConnection(socket, seeder);
        socket.data.sendHandshake();
      },
      data(socket, chunk) {
        socket.data.onData(chunk);
      },
      drain(socket) {
        socket.data.onDrain();
      },
      close(socket) {
        seeder.sockets.delete(socket);
        socket.data?.framer.stop();
        closed.resolve();
      },
      error(socket, err) {
        seeder.stats.errors.push(`socket error: ${errorMessage(err)}`);
        socket.data?.close();
      },
    },
  });
  const stop = (): void => {
    socket.terminate();
    seeder.sockets.clear();
  };
  return {
    port,
    peerId: seeder.peerId,
    stats: seeder.stats,
    remotePeerIds: seeder.remotePeerIds,
    closed: closed.promise,
    stop,
    [Symbol.dispose]: stop,
    [Symbol.asyncDispose]: async () => stop(),
  };
}
