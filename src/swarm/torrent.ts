// One torrent's swarm: peers, requests, verification, storage and announces, driven by events.
// Reacts to peer messages, socket drains and one shared 1 s tick; no per-peer polling.

import {
  Emitter,
  StorageError,
  RippleError,
  WireError,
  bytesEqual,
  errorMessage,
  formatPeerAddress,
  sha1,
  silentLogger,
  toHex,
  systemClock,
  type Clock,
  type Logger,
  type PeerAddress,
} from "../util/index.ts";
import { BLOCK_SIZE, pieceHash, pieceLengthAt, type Metainfo } from "../metainfo/index.ts";
import { Bitfield, encodeMessage, encodeRequest, makeReserved, type Handshake, type PeerMessage } from "../wire/index.ts";
import { PeerConnection, type LocalIdentity, type PeerHandler } from "../peer/index.ts";
import type { Announcer, AnnouncerHooks } from "../tracker/index.ts";
import type { Storage } from "../storage/index.ts";
import { Picker, blockKey, keyBlock, keyPiece } from "./picker.ts";
import { PeerPool } from "./peer-pool.ts";
import { PeerState } from "./peer-state.ts";
import { SmartBan } from "./smart-ban.ts";
import { RateMeter } from "./rate.ts";
import type { PieceState } from "./piece-state.ts";

export interface TorrentOptions {
  meta: Metainfo;
  storage: Storage;
  peerId: Uint8Array;
  /** Connections at once (outgoing and incoming). */
  maxPeers?: number;
  /** Bytes of piece buffers in flight at once. */
  memoryBudgetBytes?: number;
  createAnnouncer?: (hooks: AnnouncerHooks) => Announcer;
  log?: Logger;
  clock?: Clock;
}

export interface TorrentStats {
  pieceCount: number;
  piecesDone: number;
  totalBytes: number;
  verifiedBytes: number;
  downloadedBytes: number;
  uploadedBytes: number;
  downloadRate: number;
  uploadRate: number;
  peers: number;
  knownPeers: number;
}

export interface TorrentEvents extends Record<string, unknown> {
  checking: { piecesChecked: number; pieceCount: number };
  piece: { index: number };
  peer: { event: "connected" | "disconnected" | "banned"; address: string; reason?: string };
  warning: { message: string };
  /** Once a second while running, and once more when done. */
  progress: TorrentStats;
  done: TorrentStats;
  error: { error: RippleError };
  /** After stop(): peers closed, `stopped` announced, files closed. */
  stopped: TorrentStats;
}

export const DEFAULT_MAX_PEERS = 50;
export const DEFAULT_MEMORY_BUDGET_BYTES = 64 * 1024 * 1024;
const MAX_HALF_OPEN = 16;
const TICK_MS = 1000;
/** A peer with requests outstanding and no block for this long is snubbing us. */
const SNUB_TIMEOUT_MS = 30_000;
/** ... and is dropped after this long. */
const DEAD_PEER_TIMEOUT_MS = 90_000;
/** Send a keep-alive after this long without sending anything. */
const KEEP_ALIVE_INTERVAL_MS = 60_000;
const KEEP_ALIVE = new Uint8Array(4);
/** Blocks nobody asked for that a peer may send before it is dropped. */
const MAX_UNREQUESTED_BLOCKS = 64;

export class Torrent extends Emitter<TorrentEvents> {
  readonly meta: Metainfo;
  readonly picker: Picker;
  readonly #storage: Storage;
  readonly #identity: LocalIdentity;
  readonly #maxPeers: number;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #pool = new PeerPool();
  readonly #peers = new Map<PeerConnection, PeerState>();
  readonly #pending = new Set<PeerConnection>();
  readonly #bannedIds = new Set<string>();
  readonly #smartBan = new SmartBan();
  readonly #down = new RateMeter();
  readonly #announcer: Announcer | undefined;
  #verifiedBytes = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastTick = 0;
  #state: "idle" | "checking" | "running" | "done" | "stopped" = "idle";

  constructor(opts: TorrentOptions) {
    super();
    this.meta = opts.meta;
    this.#storage = opts.storage;
    this.#maxPeers = opts.maxPeers ?? DEFAULT_MAX_PEERS;
    this.#log = opts.log ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
    this.#identity = { infoHash: opts.meta.infoHash, peerId: opts.peerId, reserved: makeReserved({}) };
    const budget = opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
    this.picker = new Picker({
      pieceCount: opts.meta.pieceCount,
      pieceLengthAt: (i) => pieceLengthAt(this.meta, i),
      maxInProgress: Math.max(2, Math.floor(budget / opts.meta.pieceLength)),
    });
    this.#announcer = opts.createAnnouncer?.({
      getStats: () => ({ uploaded: 0, downloaded: this.#down.totalBytes, left: this.meta.totalLength - this.#verifiedBytes }),
      onPeers: (peers) => this.addPeers(peers),
    });
  }

  get done(): boolean {
    return this.picker.have.isFull();
  }

  /** Checks data already on disk, then starts announcing and connecting. */
  async start(): Promise<void> {
    if (this.#state !== "idle") return;
    this.#state = "checking";
    try {
      await this.#checkExisting();
    } catch (err) {
      this.#fail(err);
      return;
    }
    if (this.#state !== "checking") return;
    this.#state = "running";
    this.#lastTick = this.#clock.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#announcer?.start();
    if (this.done) {
      this.#finish();
      return;
    }
    this.#connectMore();
  }

  /** Adds known peer addresses (from trackers, --peer, PEX...). */
  addPeers(addresses: readonly PeerAddress[]): void {
    if (this.#pool.add(addresses) > 0 && this.#state === "running") this.#connectMore();
  }

  /** Route for the listener: accept an incoming connection for this torrent. */
  acceptIncoming(): { identity: LocalIdentity; handler: PeerHandler } | undefined {
    if (this.#state !== "running" && this.#state !== "done") return undefined;
    if (this.#peers.size + this.#pending.size >= this.#maxPeers) return undefined;
    return { identity: this.#identity, handler: this.#handler };
  }

  stats(): TorrentStats {
    return {
      pieceCount: this.meta.pieceCount,
      piecesDone: this.picker.have.count,
      totalBytes: this.meta.totalLength,
      verifiedBytes: this.#verifiedBytes,
      downloadedBytes: this.#down.totalBytes,
      uploadedBytes: 0,
      downloadRate: this.#down.bytesPerSec,
      uploadRate: 0,
      peers: this.#peers.size,
      knownPeers: this.#pool.size,
    };
  }

  /** Disconnects everyone, announces `stopped`, closes files. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    clearInterval(this.#timer);
    for (const conn of [...this.#peers.keys(), ...this.#pending]) conn.close("torrent stopped");
    try {
      await this.#announcer?.stop();
    } finally {
      this.#storage.close();
    }
    this.emit("stopped", this.stats());
  }

  async #checkExisting(): Promise<void> {
    if (!this.#storage.hasExistingData()) return;
    const buffer = new Uint8Array(this.meta.pieceLength);
    for (let i = 0; i < this.meta.pieceCount; i++) {
      const data = this.#storage.readPiece(i, buffer);
      if (bytesEqual(sha1(data), pieceHash(this.meta, i))) {
        this.picker.markVerified(i);
        this.#verifiedBytes += data.length;
      }
      if (i % 64 === 63 || i === this.meta.pieceCount - 1) {
        this.emit("checking", { piecesChecked: i + 1, pieceCount: this.meta.pieceCount });
        await new Promise((r) => setImmediate(r));
        if (this.#state !== "checking") return;
      }
    }
  }

  #connectMore(): void {
    if (this.#state !== "running") return;
    const room = Math.min(this.#maxPeers - this.#peers.size - this.#pending.size, MAX_HALF_OPEN - this.#pending.size);
    if (room <= 0) return;
    for (const address of this.#pool.candidates(room, this.#clock.now())) {
      const key = formatPeerAddress(address);
      this.#pool.markConnecting(key);
      const conn = PeerConnection.connect(address, this.#identity, this.#handler, this.#maxMessageLength());
      this.#pending.add(conn);
    }
  }

  #maxMessageLength(): number {
    // Largest legal frame: a piece message (9 + block) or our torrent's bitfield (1 + bytes).
    return Math.max(9 + BLOCK_SIZE, 1 + Math.ceil(this.meta.pieceCount / 8)) + 4096;
  }

  readonly #handler: PeerHandler = {
    onHandshake: (conn, hs) => this.#onHandshake(conn, hs),
    onMessage: (conn, msg) => {
      const peer = this.#peers.get(conn);
      if (!peer) return;
      try {
        this.#onMessage(peer, msg);
      } catch (err) {
        if (err instanceof WireError) conn.close(`${err.message} (peer ${conn.name})`);
        else if (err instanceof StorageError) this.#fail(err);
        else throw err;
      }
    },
    onClose: (conn, reason) => this.#onClose(conn, reason),
  };

  #onHandshake(conn: PeerConnection, hs: Handshake): boolean {
    this.#pending.delete(conn);
    const id = toHex(hs.peerId);
    if (bytesEqual(hs.peerId, this.#identity.peerId)) {
      this.#pool.forget(conn.name); // ourselves, e.g. our own address handed back by a tracker
      return false;
    }
    if (this.#bannedIds.has(id) || this.#pool.isBanned(conn.name)) return false;
    for (const other of this.#peers.values()) {
      if (other.conn.remotePeerId && bytesEqual(other.conn.remotePeerId, hs.peerId)) return false; // duplicate
    }
    if (this.#peers.size >= this.#maxPeers || this.#state === "stopped") return false;
    const peer = new PeerState(conn, conn.name, this.meta.pieceCount, this.#clock.now());
    conn.state = peer;
    this.#peers.set(conn, peer);
    if (this.picker.have.count > 0) conn.send(encodeMessage({ type: "bitfield", bytes: this.picker.have.toBytes() }));
    this.#log.debug(`connected ${conn.name}`);
    this.emit("peer", { event: "connected", address: conn.name });
    return true;
  }

  #onClose(conn: PeerConnection, reason: string): void {
    const wasPending = this.#pending.delete(conn);
    const peer = this.#peers.get(conn);
    if (peer) {
      this.#peers.delete(conn);
      this.#releaseAll(peer);
      this.picker.removeAvailability(peer.has);
      this.#log.debug(`disconnected ${conn.name}: ${reason}`);
      this.emit("peer", { event: "disconnected", address: conn.name, reason });
    }
    if (conn.outgoing) this.#pool.markClosed(conn.name, wasPending || (peer?.conn.downloadedBytes ?? 0) === 0, this.#clock.now());
    if (this.#state === "running") {
      this.#connectMore();
      this.#fillAll();
    }
  }

  #onMessage(peer: PeerState, msg: PeerMessage): void {
    switch (msg.type) {
      case "piece":
        this.#onBlock(peer, msg.index, msg.begin, msg.block);
        break;
      case "choke":
        peer.peerChoking = true;
        this.#releaseAll(peer);
        this.#fillAll();
        break;
      case "unchoke":
        peer.peerChoking = false;
        peer.lastProgressAt = this.#clock.now();
        this.#fill(peer);
        break;
      case "interested":
        peer.peerInterested = true;
        break;
      case "not_interested":
        peer.peerInterested = false;
        break;
      case "have":
        this.#checkIndex(msg.index, "have");
        this.#gainPiece(peer, msg.index);
        break;
      case "bitfield":
        this.#setBitfield(peer, Bitfield.fromBytes(msg.bytes, this.meta.pieceCount));
        break;
      case "have_all":
        this.#setBitfield(peer, Bitfield.full(this.meta.pieceCount));
        break;
      case "have_none":
        this.#setBitfield(peer, new Bitfield(this.meta.pieceCount));
        break;
      case "reject": {
        const key = blockKey(msg.index, Math.floor(msg.begin / BLOCK_SIZE));
        if (peer.requests.delete(key)) {
          this.picker.release(msg.index, keyBlock(key));
          this.#fillAll();
        }
        break;
      }
      default:
        // request/cancel (we do not upload yet), port, suggest, allowed_fast, extended, unknown ids.
        break;
    }
  }

  #checkIndex(index: number, what: string): void {
    if (index >= this.meta.pieceCount) throw new WireError(`${what} for piece ${index} out of range (${this.meta.pieceCount} pieces)`);
  }

  #setBitfield(peer: PeerState, has: Bitfield): void {
    if (peer.sawBitfield) this.picker.removeAvailability(peer.has);
    peer.sawBitfield = true;
    peer.has = has;
    this.picker.addAvailability(has);
    let lacking = 0;
    for (let i = 0; i < this.meta.pieceCount; i++) if (has.has(i) && !this.picker.have.has(i)) lacking++;
    peer.lacking = lacking;
    this.#updateInterest(peer);
  }

  #gainPiece(peer: PeerState, index: number): void {
    if (peer.has.has(index)) return;
    peer.has.set(index);
    this.picker.addHave(index);
    if (!this.picker.have.has(index)) {
      peer.lacking++;
      this.#updateInterest(peer);
    }
  }

  #updateInterest(peer: PeerState): void {
    const want = peer.lacking > 0;
    if (want !== peer.amInterested) {
      peer.amInterested = want;
      peer.conn.send(encodeMessage({ type: want ? "interested" : "not_interested" }));
    }
    if (want) this.#fill(peer);
  }

  /** Tops up the peer's request queue to its adaptive depth. */
  #fill(peer: PeerState): void {
    if (peer.peerChoking || !peer.amInterested || peer.conn.closed || this.#state !== "running") return;
    const want = peer.depth - peer.requests.size;
    if (want <= 0) return;
    const blocks = this.picker.pick(peer.has, want, this.#clock.now(), (key) => peer.requests.has(key));
    if (blocks.length === 0) return;
    if (peer.requests.size === 0) peer.lastProgressAt = this.#clock.now();
    const out = new Uint8Array(17 * blocks.length);
    blocks.forEach((b, i) => {
      out.set(encodeRequest(b.index, b.begin, b.length), i * 17);
      peer.requests.add(blockKey(b.index, b.begin / BLOCK_SIZE));
    });
    peer.conn.send(out);
  }

  #fillAll(): void {
    for (const peer of this.#peers.values()) this.#fill(peer);
  }

  #releaseAll(peer: PeerState): void {
    for (const key of peer.requests) this.picker.release(keyPiece(key), keyBlock(key));
    peer.requests.clear();
  }

  #onBlock(peer: PeerState, index: number, begin: number, data: Uint8Array): void {
    const block = begin / BLOCK_SIZE;
    const key = blockKey(index, block);
    if (!Number.isInteger(block) || !peer.requests.delete(key)) {
      // Endgame cancels race with blocks already on the wire, so a few strays are normal.
      if (++peer.unrequestedBlocks > MAX_UNREQUESTED_BLOCKS) {
        throw new WireError(`too many unrequested blocks (${peer.unrequestedBlocks})`);
      }
      return;
    }
    const piece = this.picker.inProgress.get(index);
    if (!piece) return; // verified meanwhile (endgame duplicate)
    if (data.length !== piece.blockLength(block)) {
      throw new WireError(`block ${index}:${begin} has wrong length: ${data.length} != ${piece.blockLength(block)}`);
    }
    peer.conn.downloadedBytes += data.length;
    peer.down.add(data.length);
    this.#down.add(data.length);
    peer.lastProgressAt = this.#clock.now();
    peer.snubbed = false;
    if (piece.requested[block]! > 0) piece.requested[block]!--;
    if (piece.store(block, data, peer.key) && this.picker.endgame) this.#cancelDuplicates(peer, index, begin, key, data.length);
    if (piece.complete) this.#completePiece(piece);
    this.#fill(peer);
  }

  #cancelDuplicates(from: PeerState, index: number, begin: number, key: number, length: number): void {
    for (const other of this.#peers.values()) {
      if (other === from || !other.requests.delete(key)) continue;
      other.conn.send(encodeMessage({ type: "cancel", index, begin, length }));
    }
  }

  #completePiece(piece: PieceState): void {
    const { index, buffer } = piece;
    if (!bytesEqual(sha1(buffer), pieceHash(this.meta, index))) {
      this.#log.warn(`piece ${index} failed its hash check`);
      this.emit("warning", { message: `piece ${index} failed its hash check; fetching it again` });
      for (const key of this.#smartBan.onFailed(piece)) this.#ban(key, `sent corrupt data repeatedly`);
      this.picker.markFailed(index);
      this.#fillAll();
      return;
    }
    this.#storage.writePiece(index, buffer);
    this.picker.markVerified(index);
    this.#verifiedBytes += buffer.length;
    for (const key of this.#smartBan.onVerified(index, buffer)) this.#ban(key, "sent corrupt data");
    const have = encodeMessage({ type: "have", index });
    for (const peer of this.#peers.values()) {
      if (peer.has.has(index)) {
        peer.lacking--;
        if (peer.lacking === 0) this.#updateInterest(peer);
      } else {
        peer.conn.send(have);
      }
    }
    this.emit("piece", { index });
    if (this.done) this.#finish();
    else this.#fillAll();
  }

  #ban(key: string, reason: string): void {
    this.#pool.ban(key);
    for (const peer of this.#peers.values()) {
      if (peer.key !== key) continue;
      if (peer.conn.remotePeerId) this.#bannedIds.add(toHex(peer.conn.remotePeerId));
      peer.conn.close(`banned: ${reason}`);
    }
    this.#log.warn(`banned ${key}: ${reason}`);
    this.emit("peer", { event: "banned", address: key, reason });
  }

  #finish(): void {
    if (this.#state !== "running") return;
    try {
      this.#storage.finalize();
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#state = "done";
    this.#announcer?.completed();
    // Seeders have nothing for us; keep leechers (we may upload to them later).
    for (const peer of this.#peers.values()) {
      if (peer.has.isFull()) peer.conn.close("both complete");
      else if (peer.amInterested) this.#updateInterest(peer);
    }
    const stats = this.stats();
    this.emit("progress", stats);
    this.emit("done", stats);
  }

  #fail(err: unknown): void {
    const error = err instanceof RippleError ? err : new RippleError("INTERNAL", errorMessage(err), { cause: err });
    this.emit("error", { error });
    void this.stop();
  }

  /** BEP 3: peers drop a connection silent for about two minutes, so say something every minute. */
  #keepAlive(peer: PeerState): void {
    if (peer.conn.sentMessages !== peer.sentAtLastTick) {
      peer.sentAtLastTick = peer.conn.sentMessages;
      peer.quietTicks = 0;
    } else if (++peer.quietTicks * TICK_MS >= KEEP_ALIVE_INTERVAL_MS) {
      peer.conn.send(KEEP_ALIVE);
    }
  }

  #tick(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#lastTick;
    this.#lastTick = now;
    this.#down.tick(elapsed);
    for (const peer of this.#peers.values()) {
      this.#keepAlive(peer);
      peer.down.tick(elapsed);
      peer.adaptDepth(BLOCK_SIZE);
      if (peer.requests.size > 0 && now - peer.lastProgressAt > SNUB_TIMEOUT_MS) {
        if (now - peer.lastProgressAt > DEAD_PEER_TIMEOUT_MS) {
          peer.conn.close("no data for 90 s");
          continue;
        }
        if (!peer.snubbed) {
          peer.snubbed = true;
          this.#releaseAll(peer);
          this.#log.debug(`${peer.key} is snubbing us`);
        }
      }
    }
    if (this.#state !== "running") return;
    this.emit("progress", this.stats());
    this.#fillAll();
    this.#connectMore();
    if (this.#peers.size === 0 && this.#pending.size === 0 && !this.#pool.hasUsable()) this.#announcer?.requestPeers();
  }
}
