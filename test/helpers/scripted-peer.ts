// Test helper: scripted peers over in-memory transports (src/peer/memory-transport.ts), for component
// tests of the swarm with a fake clock and no sockets. A ScriptedPeer frames what arrives with the wire
// codecs and records it; the scripts (a seeder, a BEP 9 metadata peer) answer as a remote client would.

import {
  memoryNetwork,
  type MemoryNetwork,
  type MemoryNetworkOptions,
  type Transport,
} from "../../src/peer/index.ts";
import { BLOCK_SIZE } from "../../src/metainfo/index.ts";
import { WireError, formatPeerAddress, type PeerAddress } from "../../src/util/index.ts";
import {
  Bitfield,
  Framer,
  UT_METADATA,
  decodeExtendedHandshake,
  decodeMetadataMessage,
  encodeExtendedHandshake,
  encodeExtendedMessage,
  encodeHandshake,
  encodeMessage,
  encodeMetadataMessage,
  makeReserved,
  maxMessageLengthFor,
  answerMetadataRequest,
  type PeerMessage,
} from "../../src/wire/index.ts";
import { Recorder } from "./fake-time.ts";
import { wireEventHandlers, type WireEvent } from "./wire-client.ts";

/** One end of a memory transport, speaking BEP 3 frames. */
export class ScriptedPeer {
  readonly transport: Transport;
  /** Every frame received, in order (handshake first). */
  readonly events = new Recorder<WireEvent>();
  /** Resolves with the close reason. */
  readonly closed: Promise<string>;
  isClosed = false;
  /** Called for each event as it arrives, after it is recorded. */
  onEvent: ((event: WireEvent) => void) | undefined;
  readonly #framer = new Framer({ maxMessageLength: maxMessageLengthFor(1 << 16), expectHandshake: true });
  readonly #queue: Uint8Array[] = [];
  #cursor = 0;

  constructor(transport: Transport) {
    this.transport = transport;
    const closed = Promise.withResolvers<string>();
    this.closed = closed.promise;
    const handlers = wireEventHandlers((event) => {
      this.events.push(event);
      this.onEvent?.(event);
    });
    transport.handler = {
      data: (chunk) => {
        try {
          this.#framer.push(chunk, handlers);
        } catch (err) {
          if (!(err instanceof WireError)) throw err;
          transport.terminate(); // the client under test sent a malformed frame: the test sees the close
        }
      },
      drain: () => this.#flush(),
      close: (reason) => {
        this.isClosed = true;
        closed.resolve(reason);
      },
    };
  }

  /** Messages of one type received so far. */
  received<T extends WireEvent["type"]>(type: T): Extract<WireEvent, { type: T }>[] {
    return this.events.items.filter((e) => e.type === type) as Extract<WireEvent, { type: T }>[];
  }

  send(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    this.#flush();
  }

  sendMessage(msg: PeerMessage): void {
    this.send(encodeMessage(msg));
  }

  handshake(infoHash: Uint8Array, peerId: Uint8Array, reserved = makeReserved({})): void {
    this.send(encodeHandshake({ infoHash, peerId, reserved }));
  }

  /** The next event not yet taken by next(), or undefined once closed with none left. */
  async next(): Promise<WireEvent | undefined> {
    if (this.#cursor >= this.events.items.length) {
      if (this.isClosed) return undefined;
      await Promise.race([this.events.waitFor(this.#cursor + 1), this.closed]);
      if (this.#cursor >= this.events.items.length) return undefined;
    }
    return this.events.items[this.#cursor++];
  }

  /** Skips events until one of `type`; undefined if the transport closes first. */
  async nextOf<T extends WireEvent["type"]>(type: T): Promise<Extract<WireEvent, { type: T }> | undefined> {
    for (;;) {
      const e = await this.next();
      if (e === undefined || e.type === type) return e as Extract<WireEvent, { type: T }> | undefined;
    }
  }

  #flush(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const n = this.transport.write(head, 0, head.length);
      if (n < head.length) {
        this.#queue[0] = head.subarray(n);
        return;
      }
      this.#queue.shift();
    }
  }
}

let peerIds = 0;
/** Each scripted peer its own id by default: ripple bans by peer id too, so a shared one would bar the rest. */
function nextPeerId(): Uint8Array {
  return new TextEncoder().encode(`-SC0001-${String(++peerIds).padStart(12, "0")}`);
}

/** The data a scripted seeder serves. */
export interface SeedData {
  readonly infoHash: Uint8Array;
  readonly pieceLength: number;
  readonly data: Uint8Array;
}

export interface SeederScript {
  /** Pieces advertised and served (default all). */
  readonly have?: readonly number[];
  /** Flip the first byte of every block sent. */
  readonly corrupt?: boolean;
  /** Unchoke when the remote is interested, then never answer a request (a snubbing peer). */
  readonly silent?: boolean;
  /** Answer the first request with a choke, and serve nothing after (BEP 3: the requests are void). */
  readonly chokeOnRequest?: boolean;
  /** Also send this many blocks nobody asked for after the bitfield (a flood). */
  readonly unrequestedBlocks?: number;
  readonly peerId?: Uint8Array;
}

/** A seeder that answers a dialer's handshake, advertises its pieces, unchokes and serves requests. */
export function scriptSeeder(peer: ScriptedPeer, seed: SeedData, script: SeederScript = {}): ScriptedPeer {
  const pieceCount = Math.ceil(seed.data.length / seed.pieceLength);
  const have = new Bitfield(pieceCount);
  for (const i of script.have ?? Array.from({ length: pieceCount }, (_, i) => i)) have.set(i);
  const peerId = script.peerId ?? nextPeerId();
  let choked = false;
  peer.onEvent = (e) => {
    if (e.type === "handshake") {
      peer.handshake(seed.infoHash, peerId);
      peer.sendMessage({ type: "bitfield", bytes: have.toBytes() });
      for (let i = 0; i < (script.unrequestedBlocks ?? 0); i++) peer.sendMessage({ type: "piece", index: 0, begin: 0, block: seed.data.slice(0, BLOCK_SIZE) });
    } else if (e.type === "interested") {
      peer.sendMessage({ type: "unchoke" });
    } else if (e.type === "request" && script.chokeOnRequest) {
      if (!choked) peer.sendMessage({ type: "choke" });
      choked = true;
    } else if (e.type === "request" && !script.silent && have.has(e.index)) {
      const start = e.index * seed.pieceLength + e.begin;
      const block = seed.data.slice(start, start + e.length);
      if (script.corrupt) block[0]! ^= 0xff;
      peer.sendMessage({ type: "piece", index: e.index, begin: e.begin, block });
    }
  };
  return peer;
}

export interface MetadataScript {
  /** What it sends as the info dict (the real bytes, or a lie of the same size). */
  readonly infoBytes: Uint8Array;
  /** Requests left unanswered for each piece before it answers (a lost request); Infinity = never answers. */
  readonly ignoreRequestsPerPiece?: number;
  readonly peerId?: Uint8Array;
}

/** Our id for ut_metadata in the scripted peer's extended handshake. */
const SCRIPT_UT_METADATA_ID = 3;

/** A BEP 9 peer: extension handshake offering ut_metadata, and answers to each metadata request. */
export function scriptMetadataPeer(peer: ScriptedPeer, infoHash: Uint8Array, script: MetadataScript): ScriptedPeer {
  const peerId = script.peerId ?? nextPeerId();
  let theirId: number | undefined;
  const ignored = new Map<number, number>();
  const ignore = (piece: number): boolean => {
    const n = ignored.get(piece) ?? 0;
    ignored.set(piece, n + 1);
    return n < (script.ignoreRequestsPerPiece ?? 0);
  };
  peer.onEvent = (e) => {
    if (e.type === "handshake") {
      peer.handshake(infoHash, peerId, makeReserved({ extended: true }));
      peer.send(encodeExtendedHandshake({ m: { [UT_METADATA]: SCRIPT_UT_METADATA_ID }, metadataSize: script.infoBytes.length }));
    } else if (e.type === "extended" && e.id === 0) {
      theirId = decodeExtendedHandshake(e.payload).m.get(UT_METADATA);
    } else if (e.type === "extended" && e.id === SCRIPT_UT_METADATA_ID && theirId !== undefined) {
      const m = decodeMetadataMessage(e.payload);
      if (m.type === "request" && !ignore(m.piece)) peer.send(encodeExtendedMessage(theirId, encodeMetadataMessage(answerMetadataRequest(script.infoBytes, m.piece))));
    }
  };
  return peer;
}

/** A memory network whose listeners are scripted peers; `peers` lists each accepted one per address. */
export function scriptedNetwork(opts: MemoryNetworkOptions = {}) {
  const net: MemoryNetwork = memoryNetwork(opts);
  const accepted = new Recorder<{ address: string; peer: ScriptedPeer }>();
  return {
    net,
    accepted,
    /** Listens at `address`; each connection gets a fresh ScriptedPeer set up by `script`. */
    listen(address: PeerAddress, script: (peer: ScriptedPeer) => void): () => void {
      return net.listen(address, (transport) => {
        const peer = new ScriptedPeer(transport);
        script(peer);
        accepted.push({ address: formatPeerAddress(address), peer });
      });
    },
    /** Connections accepted at `address` so far. */
    peersAt(address: PeerAddress): ScriptedPeer[] {
      const key = formatPeerAddress(address);
      return accepted.items.filter((a) => a.address === key).map((a) => a.peer);
    },
  };
}
