// The metadata phase of a magnet link (BEP 9 over BEP 10): connect to the peers the magnet, trackers and
// DHT name, ask those that offer ut_metadata for the info dictionary 16 KiB at a time, and hand back the
// verified bytes (the assembler checks them against the infoHash) plus the peers worth dialing again;
// for a v2-only torrent (BEP 52) also its piece layers, by hash requests (layer-fetch.ts). Driven by peer
// events and a 1 s tick, like a torrent; the torrent proper starts once this is done.

import {
  LIMITS,
  Emitter,
  silentLogger,
  systemClock,
  WireError,
  type Clock,
  type Logger,
  type PeerAddress,
} from "../util/index.ts";
import { parseInfoDictionary, usesMerklePieces, type Metainfo } from "../metainfo/index.ts";
import {
  EXTENDED_HANDSHAKE_ID,
  HASHES_ID,
  HASH_REJECT_ID,
  decodeHashRequest,
  decodeHashes,
  encodeHashRequest,
  MAX_METADATA_SIZE,
  MetadataAssembler,
  RESERVED_EXTENDED,
  UT_METADATA,
  UT_METADATA_LOCAL_ID,
  decodeExtendedHandshake,
  decodeMetadataMessage,
  encodeExtendedHandshake,
  encodeExtendedMessage,
  encodeMetadataMessage,
  hasReservedBit,
  makeReserved,
  maxMessageLengthFor,
  type Handshake,
  type PeerMessage,
} from "../wire/index.ts";
import { PeerConnection, type LocalIdentity, type PeerHandler } from "../peer/index.ts";
import type { Announcer, AnnouncerHooks } from "../tracker/index.ts";
import { Connections } from "./connections.ts";
import type { DialOptions } from "./dial-encryption.ts";
import { CLIENT_NAME } from "./extensions.ts";
import { PieceLayerFetch } from "./layer-fetch.ts";

/** A metadata request unanswered this long is given to another peer. */
const REQUEST_TIMEOUT_MS = 15_000;
const TICK_MS = 1000;
/** A bogus bitfield length prefix must not be accepted before the piece count is known: allow the largest. */
const MAX_FRAME = maxMessageLengthFor(MAX_METADATA_SIZE / 20);

export interface MetadataFetchProgress {
  /** Peers connected now; of those, peers offering the metadata. */
  peers: number;
  withMetadata: number;
  knownPeers: number;
  piecesDone: number;
  /** Undefined until a peer has told us the metadata's size. */
  pieceCount: number | undefined;
}

export interface MetadataFetchEvents extends Record<string, unknown> {
  progress: MetadataFetchProgress;
  peer: { event: "connected" | "disconnected"; address: string; reason?: string };
  warning: { message: string };
  tracker: { url: string; peers: number };
  /** `pieceLayers` (by hex pieces root) only for a v2-only torrent with files larger than a piece. */
  done: { infoBytes: Uint8Array; peers: PeerAddress[]; pieceLayers?: ReadonlyMap<string, Uint8Array> };
}

export interface MetadataFetchOptions {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  version: string;
  maxPeers?: number;
  /** Dialing: handshake deadline and encryption (MSE/PE), as for a torrent. */
  dial?: DialOptions;
  createAnnouncer?: (hooks: AnnouncerHooks) => Announcer | undefined;
  log?: Logger;
  clock?: Clock;
}

interface FetchPeer {
  readonly conn: PeerConnection;
  readonly key: string;
  /** The id to send ut_metadata to this peer under, once its extended handshake offered it. */
  metadataId?: number;
  /** Metadata pieces requested from it, with the time asked. */
  readonly asked: Map<number, number>;
}

export class MetadataFetcher extends Emitter<MetadataFetchEvents> {
  readonly infoHash: Uint8Array;
  readonly #opts: MetadataFetchOptions;
  readonly #identity: LocalIdentity;
  readonly #conns: Connections<FetchPeer>;
  /** Peers that completed a handshake: good addresses for the torrent to dial next. */
  readonly #useful = new Map<string, PeerAddress>();
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #announcer: Announcer | undefined;
  #assembler: MetadataAssembler | undefined;
  /** Once a v2-only info dict is in: the piece layers still owed, and the info bytes they wait with. */
  #layers: { fetch: PieceLayerFetch; infoBytes: Uint8Array } | undefined;
  #timer: unknown;
  #state: "idle" | "running" | "done" | "stopped" = "idle";

  /** Admitted peers by connection. */
  get #peers(): Map<PeerConnection, FetchPeer> {
    return this.#conns.peers;
  }

  constructor(opts: MetadataFetchOptions) {
    super();
    this.#opts = opts;
    this.infoHash = opts.infoHash;
    this.#log = opts.log ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
    this.#identity = { infoHash: opts.infoHash, peerId: opts.peerId, reserved: makeReserved({ fast: true, extended: true }) };
    this.#conns = new Connections<FetchPeer>({
      identity: this.#identity,
      maxPeers: opts.maxPeers ?? LIMITS.peersPerTorrent,
      maxMessageLength: MAX_FRAME,
      ...(opts.dial && { dial: opts.dial }),
      clock: this.#clock,
      isOpen: () => this.#state === "running",
      admit: (conn, hs) => this.#admit(conn, hs),
      admitted: (peer) => this.#greet(peer),
      message: (peer, msg) => this.#onMessage(peer, msg),
      closed: (conn, reason, peer) => this.#onClose(conn, reason, peer),
      // Peers here never move piece bytes: only a dial that got no handshake counts against an address.
      wasted: (_conn, wasPending) => wasPending,
    });
    this.#announcer = opts.createAnnouncer?.({
      // Unknown size: say something is left, or trackers treat us as a seeder and list no seeders.
      getStats: () => ({ uploaded: 0, downloaded: 0, left: 16384 }),
      onPeers: (peers, url) => {
        this.emit("tracker", { url, peers: peers.length });
        this.addPeers(peers);
      },
    });
  }

  start(): void {
    if (this.#state !== "idle") return;
    this.#state = "running";
    this.#scheduleTick();
    this.#announcer?.start();
    this.#conns.connectMore();
  }

  addPeers(addresses: readonly PeerAddress[]): void {
    this.#conns.add(addresses);
  }

  /** Route for the listener while the metadata is fetched. */
  acceptIncoming(): { identity: LocalIdentity; handler: PeerHandler } | undefined {
    return this.#conns.acceptIncoming();
  }

  progress(): MetadataFetchProgress {
    const a = this.#assembler;
    return {
      peers: this.#peers.size,
      withMetadata: [...this.#peers.values()].filter((p) => p.metadataId !== undefined).length,
      knownPeers: this.#conns.pool.size,
      piecesDone: a ? a.pieceCount - a.remaining : 0,
      pieceCount: a?.pieceCount,
    };
  }

  /** Closes every connection and stops announcing (the torrent announces itself next). */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = this.#state === "done" ? "done" : "stopped";
    this.#clock.clearTimeout(this.#timer);
    this.#conns.closeAll("metadata phase over");
    await this.#announcer?.stop();
  }

  /** A handshaken connection passed the shared checks (connections.ts): keep it if it can send metadata. */
  #admit(conn: PeerConnection, hs: Handshake): FetchPeer | undefined {
    this.#rememberUseful(conn);
    if (!hasReservedBit(hs.reserved, RESERVED_EXTENDED)) {
      this.#log.debug(`${conn.name} does not speak the extension protocol; it cannot send metadata`);
      return undefined;
    }
    return { conn, key: conn.name, asked: new Map() };
  }

  /** The new peer is counted: ask what it offers (our extension handshake) and announce it. */
  #greet(peer: FetchPeer): void {
    peer.conn.send(encodeExtendedHandshake({ m: { [UT_METADATA]: UT_METADATA_LOCAL_ID }, v: `${CLIENT_NAME} ${this.#opts.version}` }));
    this.emit("peer", { event: "connected", address: peer.conn.name });
  }

  #rememberUseful(conn: PeerConnection): void {
    if (conn.outgoing) this.#useful.set(conn.name, conn.address);
  }

  #onClose(conn: PeerConnection, reason: string, peer: FetchPeer | undefined): void {
    if (peer) {
      this.#assembler?.removePeer(peer.key);
      this.#layers?.fetch.release(peer.key);
      this.emit("peer", { event: "disconnected", address: conn.name, reason });
    }
    this.#conns.connectMore();
    this.#requestAll();
  }

  #onMessage(peer: FetchPeer, msg: PeerMessage): void {
    if (msg.type === "unknown" && this.#layers) this.#onHashMessage(peer, msg.id, msg.payload);
    if (msg.type !== "extended") return; // pieces, bitfields and the rest wait for the torrent
    if (msg.id === EXTENDED_HANDSHAKE_ID) {
      const hs = decodeExtendedHandshake(msg.payload);
      const id = hs.m.get(UT_METADATA);
      if (id === undefined || hs.metadataSize === undefined) return;
      peer.metadataId = id;
      this.#assembler ??= new MetadataAssembler(this.infoHash, hs.metadataSize);
      this.#assembler.addPeer(peer.key, hs.metadataSize);
      this.#request(peer);
      return;
    }
    if (msg.id !== UT_METADATA_LOCAL_ID || !this.#assembler) return;
    const m = decodeMetadataMessage(msg.payload);
    if (m.type === "reject") {
      peer.asked.delete(m.piece);
      this.#assembler.rejected(peer.key, m.piece);
    } else if (m.type === "data") {
      peer.asked.delete(m.piece);
      this.#onData(peer, m.piece, m.block);
    }
    this.#request(peer);
  }

  #onData(peer: FetchPeer, piece: number, block: Uint8Array): void {
    const result = this.#assembler!.receive(piece, block, peer.key);
    if (result.kind === "invalid") throw new WireError(`bad metadata piece: ${result.reason}`);
    if (result.kind === "mismatch") {
      const message = `metadata from ${result.peers.join(", ")} does not match the info hash; fetching it again`;
      this.#log.warn(message);
      this.emit("warning", { message });
      // A lone contributor is certainly the liar; several may be honest, so only the lone one goes.
      if (result.peers.length === 1) for (const p of this.#peers.values()) if (p.key === result.peers[0]) p.conn.close("sent bad metadata");
      this.#requestAll();
      return;
    }
    this.emit("progress", this.progress());
    if (result.kind === "complete") this.#metadataDone(result.infoBytes);
  }

  /** A v2-only torrent's files larger than a piece need their piece layers before the torrent can start. */
  #metadataDone(infoBytes: Uint8Array): void {
    let meta: Metainfo | undefined;
    try {
      meta = parseInfoDictionary(infoBytes);
    } catch {
      // Not ours to report: the client parses the same bytes next and says what is wrong with them.
      meta = undefined;
    }
    const fetch = meta && usesMerklePieces(meta) ? new PieceLayerFetch(meta) : undefined;
    if (!fetch || fetch.done) {
      this.#finish(infoBytes);
      return;
    }
    this.#layers = { fetch, infoBytes };
    this.#requestAll();
  }

  /** BEP 52 `hashes` (22) and `hash reject` (23) while piece layers are owed. */
  #onHashMessage(peer: FetchPeer, id: number, payload: Uint8Array): void {
    const { fetch, infoBytes } = this.#layers!;
    if (id === HASHES_ID) {
      const { request, hashes } = decodeHashes(payload);
      const answer = fetch.onHashes(peer.key, request, hashes);
      if (answer.result === "bad") {
        // A lone sender is certainly the liar; of several, some may be honest, so they are only avoided.
        if (answer.blame.length === 1) peer.conn.close("sent a piece layer that does not hash to the pieces root");
        this.#requestAll();
        return;
      }
      if (fetch.done) this.#finish(infoBytes, fetch.layers());
      else this.#request(peer);
    } else if (id === HASH_REJECT_ID) {
      fetch.onReject(peer.key, decodeHashRequest(payload, "hash reject"));
      this.#requestAll();
    }
  }

  #request(peer: FetchPeer): void {
    if (this.#layers) {
      if (this.#state !== "running") return;
      const now = this.#clock.now();
      for (let req = this.#layers.fetch.next(peer.key, now); req; req = this.#layers.fetch.next(peer.key, now)) peer.conn.send(encodeHashRequest(req));
      return;
    }
    const a = this.#assembler;
    if (!a || peer.metadataId === undefined || this.#state !== "running") return;
    for (let piece = a.nextPieceToRequest(peer.key); piece !== undefined; piece = a.nextPieceToRequest(peer.key)) {
      peer.asked.set(piece, this.#clock.now());
      peer.conn.send(encodeExtendedMessage(peer.metadataId, encodeMetadataMessage({ type: "request", piece })));
    }
  }

  #requestAll(): void {
    for (const peer of this.#peers.values()) this.#request(peer);
  }

  #finish(infoBytes: Uint8Array, pieceLayers?: ReadonlyMap<string, Uint8Array>): void {
    if (this.#state !== "running") return;
    this.#state = "done";
    this.#clock.clearTimeout(this.#timer);
    const peers = [...this.#useful.values(), ...this.#conns.pool.candidates(200, Infinity)];
    this.emit("done", { infoBytes, peers, ...(pieceLayers && { pieceLayers }) });
  }

  /** Re-armed before each tick runs, so a tick that ends the phase clears the next one. */
  #scheduleTick(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#scheduleTick();
      this.#tick();
    }, TICK_MS);
  }

  #tick(): void {
    const now = this.#clock.now();
    this.#layers?.fetch.release(undefined, now, REQUEST_TIMEOUT_MS);
    for (const peer of this.#peers.values()) {
      for (const [piece, at] of peer.asked) {
        if (now - at < REQUEST_TIMEOUT_MS) continue;
        peer.asked.delete(piece);
        this.#assembler?.release(peer.key, piece);
      }
    }
    this.#requestAll();
    this.#conns.connectMore();
    this.emit("progress", this.progress());
    if (this.#peers.size === 0 && this.#conns.pendingCount === 0 && !this.#conns.pool.hasUsable()) this.#announcer?.requestPeers();
  }
}

/** Why a metadata fetch is slow, for a progress line: "fetching metadata: 3 peers, 1 offering it, 2/5 pieces". */
export function describeMetadataProgress(p: MetadataFetchProgress): string {
  const pieces = p.pieceCount === undefined ? "size not known yet" : `${p.piecesDone}/${p.pieceCount} pieces`;
  return `fetching metadata: ${p.peers} peers connected (${p.knownPeers} known), ${p.withMetadata} offering it, ${pieces}`;
}

