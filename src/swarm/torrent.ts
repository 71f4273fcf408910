// One torrent's swarm: connections, message dispatch, choking, verification and announces, driven by
// events (peer messages, socket drains) and one shared 1 s tick; no per-peer polling. The download and
// upload halves live in downloader.ts and uploader.ts.

import {
  LIMITS,
  Emitter,
  StorageError,
  RippleError,
  WireError,
  bytesEqual,
  errorMessage,
  formatPeerAddress,
  silentLogger,
  toHex,
  systemClock,
  type Clock,
  type Logger,
  type PeerAddress,
} from "../util/index.ts";
import { pieceLengthAt, type Metainfo } from "../metainfo/index.ts";
import { Bitfield, RESERVED_EXTENDED, RESERVED_FAST, encodeMessage, hasReservedBit, makeReserved, maxMessageLengthFor, type Handshake, type PeerMessage } from "../wire/index.ts";
import { PeerConnection, type LocalIdentity, type PeerHandler } from "../peer/index.ts";
import type { Announcer, AnnouncerHooks } from "../tracker/index.ts";
import type { Storage } from "../storage/index.ts";
import { DEFAULT_UPLOAD_SLOTS, RECHOKE_INTERVAL_MS } from "./choker.ts";
import { Choking } from "./choking.ts";
import { Extensions } from "./extensions.ts";
import { DataCheck, wantedPieces } from "./data-check.ts";
import { Downloader } from "./downloader.ts";
import { PeerPool } from "./peer-pool.ts";
import { PeerState } from "./peer-state.ts";
import { RateMeter } from "./rate.ts";
import { ReadCache } from "./read-cache.ts";
import type { TokenBucket } from "./token-bucket.ts";
import { Uploader } from "./uploader.ts";

export interface TorrentOptions {
  meta: Metainfo;
  storage: Storage;
  peerId: Uint8Array;
  /** Connections at once (outgoing and incoming). */
  maxPeers?: number;
  /** Bytes of piece buffers in flight at once. */
  memoryBudgetBytes?: number;
  /** Upload slots (regular + 1 optimistic). Default DEFAULT_UPLOAD_SLOTS. */
  uploadSlots?: number;
  /** Shared rate limits (a Client passes the same buckets to all its torrents). */
  uploadBucket?: TokenBucket;
  downloadBucket?: TokenBucket;
  createAnnouncer?: (hooks: AnnouncerHooks) => Announcer | undefined;
  /** The resume file (see storage/resume-codec.ts); undefined = hash whatever is on disk at start. */
  resumePath?: string;
  /** Per torrent file: whether to download it (default all); the storage must have the same selection. */
  selectedFiles?: readonly boolean[];
  /** Only seed: data missing after the check is an error (VERIFY), and nothing is announced. */
  seedOnly?: boolean;
  /** Our listen port (for the BEP 10 handshake's `p`) and version (its `v`). */
  listenPort?: () => number;
  /** How long a peer we dial has to complete its handshake (default HANDSHAKE_TIMEOUT_MS, 20 s). */
  handshakeTimeoutMs?: number;
  version?: string;
  log?: Logger;
  clock?: Clock;
}

export interface TorrentStats {
  pieceCount: number;
  piecesDone: number;
  /** Bytes of the pieces this download wants (the whole torrent unless files are deselected). */
  totalBytes: number;
  /** Bytes of those pieces verified so far. */
  verifiedBytes: number;
  downloadedBytes: number;
  uploadedBytes: number;
  downloadRate: number;
  uploadRate: number;
  peers: number;
  knownPeers: number;
}

export interface TorrentEvents extends Record<string, unknown> {
  /** Hashing data found on disk at start: pieces hashed so far of those to hash. */
  checking: { piecesChecked: number; piecesToCheck: number };
  /** The data on disk is checked (piecesDone says how much was there); peers come next. */
  ready: TorrentStats;
  piece: { index: number };
  /** `disconnected` also reports a dialed peer dropped before its handshake completed (wrong infoHash, timeout). */
  peer: { event: "connected" | "disconnected" | "banned"; address: string; reason?: string };
  warning: { message: string };
  /** A tracker answered an announce (`url` without its query string) with this many peers. */
  tracker: { url: string; peers: number };
  /** Once a second while running or seeding, and once more when done. */
  progress: TorrentStats;
  /** Every piece is verified and the files have their final size; the torrent goes on seeding. */
  done: TorrentStats;
  error: { error: RippleError };
  /** After stop(): peers closed, `stopped` announced, files closed. */
  stopped: TorrentStats;
}

export const DEFAULT_MAX_PEERS = LIMITS.peersPerTorrent;
/** A connection younger than this that carried no data may lose to a duplicate (see #resolveDuplicate). */
const DUPLICATE_GRACE_MS = 5_000;
export const DEFAULT_MEMORY_BUDGET_BYTES = LIMITS.inFlightPieceBytes;
const READ_CACHE_BYTES = LIMITS.uploadReadCacheBytes;
const MAX_HALF_OPEN = LIMITS.halfOpenConnections;
const TICK_MS = 1000;
/** How often the resume file is rewritten while pieces keep arriving. */
const RESUME_SAVE_INTERVAL_MS = 30_000;

type TorrentState = "idle" | "checking" | "running" | "seeding" | "stopped";

export class Torrent extends Emitter<TorrentEvents> {
  readonly meta: Metainfo;
  readonly #storage: Storage;
  readonly #identity: LocalIdentity;
  readonly #maxPeers: number;
  readonly #choking: Choking;
  readonly #extensions: Extensions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #pool = new PeerPool();
  readonly #peers = new Map<PeerConnection, PeerState>();
  readonly #pending = new Set<PeerConnection>();
  readonly #bannedIds = new Set<string>();
  readonly #up = new RateMeter();
  readonly #downloader: Downloader;
  readonly #uploader: Uploader;
  readonly #cache: ReadCache;
  readonly #announcer: Announcer | undefined;
  #verifiedBytes = 0;
  readonly #wantedBytes: number;
  readonly #dataCheck: DataCheck;
  readonly #seedOnly: boolean;
  readonly #handshakeTimeoutMs: number | undefined;
  #lastResumeSave = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #wakeTimer: ReturnType<typeof setTimeout> | undefined;
  #lastTick = 0;
  #state: TorrentState = "idle";
  #stopping: Promise<void> | undefined;
  #wakeAt = Infinity;

  constructor(opts: TorrentOptions) {
    super();
    this.meta = opts.meta;
    this.#storage = opts.storage;
    this.#maxPeers = opts.maxPeers ?? DEFAULT_MAX_PEERS;
    this.#log = opts.log ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
    this.#identity = { infoHash: opts.meta.infoHash, peerId: opts.peerId, reserved: makeReserved({ fast: true, extended: true }) };
    this.#extensions = new Extensions({
      meta: opts.meta,
      port: () => opts.listenPort?.() ?? 0,
      version: opts.version ?? "0",
      onPexPeers: (peers) => this.addPeers(peers),
      log: this.#log,
    });
    const budget = opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
    this.#downloader = new Downloader(
      {
        meta: this.meta,
        storage: this.#storage,
        clock: this.#clock,
        log: this.#log,
        bucket: opts.downloadBucket,
        peers: () => this.#peers.values(),
        downloading: () => this.#state === "running",
        onVerified: (index, length) => this.#onVerified(index, length),
        onHashFailed: (index) => {
          this.#log.warn(`piece ${index} failed its hash check`);
          this.emit("warning", { message: `piece ${index} failed its hash check; fetching it again` });
        },
        ban: (key, reason) => this.#ban(key, reason),
        wakeAfter: (ms) => this.#wakeAfter(ms),
        onError: (err) => this.#fail(err),
      },
      Math.max(2, Math.floor(budget / opts.meta.pieceLength)),
      opts.selectedFiles && wantedPieces(opts.meta, opts.selectedFiles),
    );
    let wantedBytes = 0;
    for (let i = 0; i < this.meta.pieceCount; i++) if (this.picker.wanted.has(i)) wantedBytes += pieceLengthAt(this.meta, i);
    this.#wantedBytes = wantedBytes;
    this.#seedOnly = opts.seedOnly === true;
    this.#handshakeTimeoutMs = opts.handshakeTimeoutMs;
    this.#dataCheck = new DataCheck({
      meta: this.meta,
      storage: this.#storage,
      resumePath: opts.resumePath,
      log: this.#log,
      onWarning: (message) => this.emit("warning", { message }),
    });
    this.#cache = new ReadCache((index) => this.#storage.readPiece(index), Math.max(READ_CACHE_BYTES, 2 * this.meta.pieceLength));
    this.#uploader = new Uploader({
      meta: this.meta,
      have: this.#downloader.picker.have,
      cache: this.#cache,
      bucket: opts.uploadBucket,
      now: () => this.#clock.now(),
      onUploaded: (peer, bytes) => {
        peer.up.add(bytes);
        this.#up.add(bytes);
      },
      wakeAfter: (ms) => this.#wakeAfter(ms),
    });
    this.#choking = new Choking(this.#uploader, Math.max(1, opts.uploadSlots ?? DEFAULT_UPLOAD_SLOTS));
    this.#announcer = opts.createAnnouncer?.({
      getStats: () => ({ uploaded: this.#up.totalBytes, downloaded: this.#downloader.down.totalBytes, left: this.#wantedBytes - this.#verifiedBytes }),
      onPeers: (peers, source) => {
        this.emit("tracker", { url: source, peers: peers.length });
        this.addPeers(peers);
      },
    });
  }

  /** The picker (pieces we have, availability, pieces in progress); read-only use. */
  get picker() {
    return this.#downloader.picker;
  }

  /** Every wanted piece is verified. */
  get done(): boolean {
    return this.picker.missing === 0;
  }

  /** Checks data already on disk, then starts announcing and connecting. */
  async start(): Promise<void> {
    if (this.#state !== "idle") return;
    this.#state = "checking";
    try {
      await this.#checkExisting();
      if (this.#state !== "checking") return;
      if (this.#seedOnly && !this.done) {
        const s = this.stats();
        throw new RippleError("VERIFY", `the data is incomplete: ${s.piecesDone} of ${s.pieceCount} pieces verified`);
      }
      if (!this.done) this.#storage.ensureWritable();
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#state = "running";
    this.#lastTick = this.#choking.lastRechokeAt = this.#clock.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.emit("ready", this.stats());
    // Complete on disk already: seed without announcing `completed` (we downloaded nothing).
    if (this.done) this.#finish(false);
    this.#announcer?.start();
    this.#connectMore();
  }

  /** Adds known peer addresses (from trackers, --peer, PEX...). */
  addPeers(addresses: readonly PeerAddress[]): void {
    if (this.#pool.add(addresses) > 0) this.#connectMore();
  }

  /** Route for the listener: accept an incoming connection for this torrent. */
  acceptIncoming(): { identity: LocalIdentity; handler: PeerHandler } | undefined {
    if (this.#state !== "running" && this.#state !== "seeding") return undefined;
    if (this.#peers.size + this.#pending.size >= this.#maxPeers) return undefined;
    return { identity: this.#identity, handler: this.#handler };
  }

  stats(): TorrentStats {
    return {
      pieceCount: this.meta.pieceCount,
      piecesDone: this.picker.have.count,
      totalBytes: this.#wantedBytes,
      verifiedBytes: this.#verifiedBytes,
      downloadedBytes: this.#downloader.down.totalBytes,
      uploadedBytes: this.#up.totalBytes,
      downloadRate: this.#downloader.down.bytesPerSec,
      uploadRate: this.#up.bytesPerSec,
      peers: this.#peers.size,
      knownPeers: this.#pool.size,
    };
  }

  /** Disconnects everyone, announces `stopped`, saves the resume file, closes files. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = "stopped";
    clearInterval(this.#timer);
    clearTimeout(this.#wakeTimer);
    for (const conn of [...this.#peers.keys(), ...this.#pending]) conn.close("torrent stopped");
    this.#cache.clear();
    try {
      await Promise.all([this.#announcer?.stop(), this.#downloader.flush().then(() => this.#dataCheck.save(this.picker.have, true))]);
    } finally {
      this.#storage.close();
    }
    this.emit("stopped", this.stats());
  }

  async #checkExisting(): Promise<void> {
    const result = await this.#dataCheck.check((piecesChecked, piecesToCheck) => this.emit("checking", { piecesChecked, piecesToCheck }));
    for (const index of result.verified) this.#markVerified(index);
    if (result.hashed > 0) this.#log.info(`found ${result.verified.length - result.trusted} good pieces of ${result.hashed} hashed`);
    const missing = this.#storage.missingBytes();
    const free = this.#storage.freeBytes();
    if (free !== undefined && !this.done && missing > free) {
      const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
      this.emit("warning", { message: `not enough free disk space: the files need ${mib(missing)} more, ${mib(free)} free` });
    }
  }

  #markVerified(index: number): void {
    if (this.picker.have.has(index)) return;
    this.picker.markVerified(index);
    if (this.picker.wanted.has(index)) this.#verifiedBytes += pieceLengthAt(this.meta, index);
  }

  #connectMore(): void {
    if (this.#state !== "running" && this.#state !== "seeding") return;
    const room = Math.min(this.#maxPeers - this.#peers.size - this.#pending.size, MAX_HALF_OPEN - this.#pending.size);
    if (room <= 0) return;
    for (const address of this.#pool.candidates(room, this.#clock.now())) {
      this.#pool.markConnecting(formatPeerAddress(address));
      const maxLength = maxMessageLengthFor(this.meta.pieceCount);
      this.#pending.add(PeerConnection.connect(address, this.#identity, this.#handler, maxLength, this.#handshakeTimeoutMs));
    }
  }

  readonly #handler: PeerHandler = {
    onHandshake: (conn, hs) => this.#onHandshake(conn, hs),
    onMessage: (conn, msg) => {
      const peer = this.#peers.get(conn);
      if (!peer) return;
      try {
        this.#onMessage(peer, msg);
      } catch (err) {
        // drop: a WireError from any check below (out-of-range have, bad bitfield, wrong block, floods).
        if (err instanceof WireError) conn.close(`${err.message} (peer ${conn.name})`);
        else if (err instanceof StorageError) this.#fail(err);
        else throw err;
      }
    },
    onDrain: (conn) => {
      const peer = this.#peers.get(conn);
      if (peer) this.#serve(peer);
    },
    onClose: (conn, reason) => this.#onClose(conn, reason),
  };

  #onHandshake(conn: PeerConnection, hs: Handshake): boolean {
    this.#pending.delete(conn);
    if (bytesEqual(hs.peerId, this.#identity.peerId)) {
      this.#pool.forget(conn.name); // ourselves, e.g. our own address handed back by a tracker
      return false;
    }
    if (this.#bannedIds.has(toHex(hs.peerId)) || this.#pool.isBanned(conn.name)) return false;
    if (!this.#resolveDuplicate(conn, hs.peerId)) return false;
    if (this.#peers.size >= this.#maxPeers || this.#state === "stopped") return false;
    conn.setMaxMessageLength(maxMessageLengthFor(this.meta.pieceCount));
    const peer = new PeerState(conn, conn.name, this.meta.pieceCount, this.#clock.now());
    peer.fast = hasReservedBit(hs.reserved, RESERVED_FAST);
    conn.state = peer;
    this.#peers.set(conn, peer);
    const have = this.picker.have;
    if (peer.fast && have.isFull()) conn.send(encodeMessage({ type: "have_all" }));
    else if (peer.fast && have.isEmpty()) conn.send(encodeMessage({ type: "have_none" }));
    else if (!have.isEmpty()) conn.send(encodeMessage({ type: "bitfield", bytes: have.toBytes() }));
    if (hasReservedBit(hs.reserved, RESERVED_EXTENDED)) this.#extensions.handshake(peer);
    this.#log.debug(`connected ${conn.name}`);
    this.emit("peer", { event: "connected", address: conn.name });
    return true;
  }

  /**
   * Two connections to one peer. A connection that already carried data, or has been up for a while, is
   * kept and the new one dropped: not every client settles duplicates by our rule (aria2c drops the new
   * one whatever we do, so closing the old one left neither, and a download stalled until it redialed).
   * Two fresh connections (both ends dialed each other at once) are settled by the lower peer id: the
   * one dialed by that side stays, a rule both ends compute alike. Returns false to drop `conn`.
   */
  #resolveDuplicate(conn: PeerConnection, remoteId: Uint8Array): boolean {
    for (const other of this.#peers.values()) {
      if (!other.conn.remotePeerId || !bytesEqual(other.conn.remotePeerId, remoteId)) continue;
      const established = other.conn.downloadedBytes > 0 || other.conn.uploadedBytes > 0 || this.#clock.now() - other.connectedAt >= DUPLICATE_GRACE_MS;
      if (established) return false;
      const dialerId = (c: PeerConnection) => toHex(c.outgoing ? this.#identity.peerId : remoteId);
      if (other.conn.outgoing === conn.outgoing || dialerId(other.conn) < dialerId(conn)) return false;
      other.conn.close("duplicate connection");
      return true;
    }
    return true;
  }

  #onClose(conn: PeerConnection, reason: string): void {
    const wasPending = this.#pending.delete(conn);
    const peer = this.#peers.get(conn);
    if (peer) {
      this.#peers.delete(conn);
      // drop (by the peer, mid-block or not): its partial frame died with the framer, and every block we
      // had requested from it goes back to the picker for the others.
      this.#downloader.releaseAll(peer);
      this.picker.removeAvailability(peer.has);
      this.#choking.forget(peer.key);
      this.#log.debug(`disconnected ${conn.name}: ${reason}`);
      this.emit("peer", { event: "disconnected", address: conn.name, reason });
    }
    if (wasPending) this.#log.debug(`could not connect to ${conn.name}: ${reason}`);
    // A peer that accepted our connection but was dropped before its handshake completed (wrong infoHash,
    // handshake timeout) is reported too, so a hostile peer's fate is visible; refused dials are not.
    if (wasPending && conn.opened) this.emit("peer", { event: "disconnected", address: conn.name, reason });
    const useless = wasPending || (conn.downloadedBytes === 0 && conn.uploadedBytes === 0);
    if (conn.outgoing) this.#pool.markClosed(conn.name, useless, this.#clock.now());
    if (this.#state === "running" || this.#state === "seeding") {
      this.#connectMore();
      this.#downloader.fillAll();
      if (peer && !peer.amChoking) this.#choking.fillFreeSlots([...this.#peers.values()]);
    }
  }

  #onMessage(peer: PeerState, msg: PeerMessage): void {
    const d = this.#downloader;
    switch (msg.type) {
      case "piece":
        d.onBlock(peer, msg.index, msg.begin, msg.block);
        break;
      case "request":
        this.#uploader.onRequest(peer, msg.index, msg.begin, msg.length);
        break;
      case "cancel":
        this.#uploader.onCancel(peer, msg.index, msg.begin, msg.length);
        break;
      case "choke":
        d.onChoke(peer);
        break;
      case "unchoke":
        d.onUnchoke(peer);
        break;
      case "interested":
        peer.peerInterested = true;
        this.#choking.fillFreeSlots([...this.#peers.values()]);
        break;
      case "not_interested":
        peer.peerInterested = false;
        if (!peer.amChoking) this.#choking.fillFreeSlots([...this.#peers.values()]);
        break;
      case "have":
        // drop (WireError): a have for a piece index past the torrent's end.
        this.#checkIndex(msg.index, "have");
        d.gainPiece(peer, msg.index);
        this.#closeIfBothComplete(peer);
        break;
      case "bitfield":
        // BEP 3 wants it first, but clients send it after have_none or have too (aria2c does): merged.
        // drop (WireError from fromBytes): a bitfield of the wrong length or with spare bits set.
        d.setBitfield(peer, Bitfield.fromBytes(msg.bytes, this.meta.pieceCount));
        this.#closeIfBothComplete(peer);
        break;
      case "have_all":
        this.#requireFast(peer, msg.type);
        d.setBitfield(peer, Bitfield.full(this.meta.pieceCount));
        this.#closeIfBothComplete(peer);
        break;
      case "have_none":
        this.#requireFast(peer, msg.type);
        d.setBitfield(peer, new Bitfield(this.meta.pieceCount));
        break;
      case "reject":
        this.#requireFast(peer, msg.type);
        d.onReject(peer, msg.index, msg.begin);
        break;
      case "allowed_fast":
        this.#requireFast(peer, msg.type);
        // BEP 6: indices we lack are a standing invitation to request them while choked.
        if (msg.index < this.meta.pieceCount && peer.allowedFast.size < 64) {
          peer.allowedFast.add(msg.index);
          d.fill(peer);
        }
        break;
      case "suggest":
        this.#requireFast(peer, msg.type);
        this.#checkIndex(msg.index, "suggest"); // a hint only: rarest-first already orders our picks
        break;
      case "extended":
        this.#extensions.onMessage(peer, msg.id, msg.payload);
        break;
      default:
        // ignore: port (DHT) and unknown message ids, as BEP 3 asks (the framer's length cap bounds them).
        break;
    }
  }

  /** BEP 6: a peer that did not negotiate the fast extension must not send its messages (drop). */
  #requireFast(peer: PeerState, type: string): void {
    if (!peer.fast) throw new WireError(`${type} without the fast extension`);
  }

  #checkIndex(index: number, what: string): void {
    if (index >= this.meta.pieceCount) throw new WireError(`${what} for piece ${index} out of range (${this.meta.pieceCount} pieces)`);
  }

  #closeIfBothComplete(peer: PeerState): void {
    if (this.done && peer.has.isFull()) peer.conn.close("both complete");
  }

  #onVerified(index: number, lengthBytes: number): void {
    if (this.picker.wanted.has(index)) this.#verifiedBytes += lengthBytes;
    this.emit("piece", { index });
    if (this.done) this.#finish(true);
    else this.#downloader.fillAll();
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

  /** All pieces verified: final file sizes, `completed` announce (when we downloaded), then seed. */
  #finish(announceCompleted: boolean): void {
    if (this.#state !== "running") return;
    try {
      this.#storage.finalize();
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#state = "seeding";
    void this.#dataCheck.save(this.picker.have, true); // finalize() changed the files' stamps
    if (announceCompleted) this.#announcer?.completed();
    for (const peer of this.#peers.values()) {
      if (peer.has.isFull()) peer.conn.close("both complete");
      else this.#downloader.updateInterest(peer);
    }
    this.#choking.rechoke([...this.#peers.values()], true, this.#clock.now());
    const stats = this.stats();
    this.emit("progress", stats);
    this.emit("done", stats);
  }

  #fail(err: unknown): void {
    const error = err instanceof RippleError ? err : new RippleError("INTERNAL", errorMessage(err), { cause: err });
    this.emit("error", { error });
    void this.stop();
  }

  /** Serves a peer's queued requests; a disk error there (data gone from under us) stops the torrent. */
  #serve(peer: PeerState): void {
    try {
      this.#uploader.serve(peer);
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      this.#fail(err);
    }
  }

  /** One timer for both rate limits: it keeps the earliest wake-up asked for. */
  #wakeAfter(ms: number): void {
    if (this.#state === "stopped") return;
    const at = this.#clock.now() + Math.max(1, ms);
    if (this.#wakeTimer !== undefined && this.#wakeAt <= at) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#wakeAt = Infinity;
      this.#downloader.fillAll();
      for (const peer of this.#peers.values()) this.#serve(peer);
    }, Math.max(1, ms));
  }

  #tick(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#lastTick;
    this.#lastTick = now;
    this.#downloader.down.tick(elapsed);
    this.#up.tick(elapsed);
    for (const peer of this.#peers.values()) {
      const verdict = peer.tick(now, elapsed);
      if (verdict === "dead") peer.conn.close("no data for 90 s");
      else if (verdict === "snubbing") {
        this.#downloader.cancelAll(peer);
        this.#log.debug(`${peer.key} is snubbing us`);
      }
    }
    if (this.#state !== "running" && this.#state !== "seeding") return;
    if (now - this.#choking.lastRechokeAt >= RECHOKE_INTERVAL_MS) this.#choking.rechoke([...this.#peers.values()], this.done, now);
    this.#extensions.pexTick([...this.#peers.values()], now);
    if (now - this.#lastResumeSave >= RESUME_SAVE_INTERVAL_MS) {
      this.#lastResumeSave = now;
      void this.#dataCheck.save(this.picker.have);
    }
    this.emit("progress", this.stats());
    this.#downloader.fillAll();
    this.#connectMore();
    if (this.#peers.size === 0 && this.#pending.size === 0 && !this.#pool.hasUsable()) this.#announcer?.requestPeers();
  }
}
