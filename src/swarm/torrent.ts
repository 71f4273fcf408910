// One torrent's swarm: connections, message dispatch, choking, verification and announces, driven by
// events (peer messages, socket drains) and one shared 1 s tick; no per-peer polling. The download and
// upload halves live in downloader.ts and uploader.ts.

import {
  LIMITS,
  Emitter,
  StorageError,
  RippleError,
  errorMessage,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type PeerAddress,
} from "../util/index.ts";
import { pieceLengthAt, type Metainfo } from "../metainfo/index.ts";
import { RESERVED_EXTENDED, RESERVED_FAST, hasReservedBit, makeReserved, maxMessageLengthFor, type Handshake } from "../wire/index.ts";
import { PeerConnection, type LocalIdentity, type PeerHandler } from "../peer/index.ts";
import type { Announcer, AnnouncerHooks } from "../tracker/index.ts";
import type { Storage } from "../storage/index.ts";
import { DEFAULT_UPLOAD_SLOTS, RECHOKE_INTERVAL_MS } from "./choker.ts";
import { Choking } from "./choking.ts";
import { Extensions } from "./extensions.ts";
import { DataCheck, wantedPieces } from "./data-check.ts";
import { Downloader } from "./downloader.ts";
import { greetPeer } from "./allowed-fast.ts";
import { Connections } from "./connections.ts";
import { onPeerMessage, type MessageContext } from "./peer-messages.ts";
import { PeerState } from "./peer-state.ts";
import { RateMeter } from "./rate.ts";
import { ReadCache } from "./read-cache.ts";
import type { TokenBucket } from "./token-bucket.ts";
import { SuperSeeder, offersPerPeer } from "./super-seed.ts";
import { Uploader } from "./uploader.ts";
import { WebSeeds } from "./web-seeds.ts";
import type { TorrentEvents, TorrentStats } from "./torrent-events.ts";

export type { TorrentEvents, TorrentStats } from "./torrent-events.ts";

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
  /** BEP 19 web seeds (the torrent's url-list, a magnet's ws) to download from besides peers. */
  webSeeds?: readonly string[];
  /** Only seed: data missing after the check is an error (VERIFY), and nothing is announced. */
  seedOnly?: boolean;
  /** With seedOnly: BEP 16 super-seeding (each peer is offered a few pieces the swarm lacks). */
  superSeed?: boolean;
  /** Our listen port (for the BEP 10 handshake's `p`) and version (its `v`). */
  listenPort?: () => number;
  /** Dialing: the handshake deadline (default HANDSHAKE_TIMEOUT_MS, 20 s) and encryption (default plaintext). */
  dial?: import("./dial-encryption.ts").DialOptions;
  version?: string;
  log?: Logger;
  clock?: Clock;
}

export const DEFAULT_MAX_PEERS = LIMITS.peersPerTorrent;
export const DEFAULT_MEMORY_BUDGET_BYTES = LIMITS.inFlightPieceBytes;
const READ_CACHE_BYTES = LIMITS.uploadReadCacheBytes;
const TICK_MS = 1000;
/** How often the resume file is rewritten while pieces keep arriving. */
const RESUME_SAVE_INTERVAL_MS = 30_000;

type TorrentState = "idle" | "checking" | "running" | "seeding" | "stopped";

export class Torrent extends Emitter<TorrentEvents> {
  readonly meta: Metainfo;
  readonly #storage: Storage;
  readonly #identity: LocalIdentity;
  readonly #choking: Choking;
  readonly #extensions: Extensions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #conns: Connections<PeerState>;
  readonly #messages: MessageContext;
  readonly #up = new RateMeter();
  readonly #downloader: Downloader;
  readonly #webSeeds: WebSeeds;
  readonly #uploader: Uploader;
  readonly #cache: ReadCache;
  readonly #announcer: Announcer | undefined;
  #verifiedBytes = 0;
  readonly #wantedBytes: number;
  readonly #dataCheck: DataCheck;
  readonly #seedOnly: boolean;
  #lastResumeSave = 0;
  /** The tick and the rate limiter's wake-up, both on the injected clock. */
  #timer: unknown;
  #wakeTimer: unknown;
  #lastTick = 0;
  #state: TorrentState = "idle";
  #stopping: Promise<void> | undefined;
  #wakeAt = Infinity;

  constructor(opts: TorrentOptions) {
    super();
    this.meta = opts.meta;
    this.#storage = opts.storage;
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
        fillOthers: () => this.#webSeeds.fill(),
      },
      Math.max(2, Math.floor(budget / opts.meta.pieceLength)),
      opts.selectedFiles && wantedPieces(opts.meta, opts.selectedFiles),
    );
    this.#webSeeds = new WebSeeds(
      {
        meta: this.meta,
        downloader: this.#downloader,
        clock: this.#clock,
        log: this.#log,
        bucket: opts.downloadBucket,
        downloading: () => this.#state === "running",
        wakeAfter: (ms) => this.#wakeAfter(ms),
        emit: (event) => this.emit("webseed", event),
        warn: (message) => this.emit("warning", { message }),
      },
      opts.webSeeds ?? [],
    );
    let wantedBytes = 0;
    for (let i = 0; i < this.meta.pieceCount; i++) if (this.picker.wanted.has(i)) wantedBytes += pieceLengthAt(this.meta, i);
    this.#wantedBytes = wantedBytes;
    this.#seedOnly = opts.seedOnly === true;
    this.#conns = new Connections<PeerState>({
      identity: this.#identity,
      maxPeers: opts.maxPeers ?? DEFAULT_MAX_PEERS,
      maxMessageLength: maxMessageLengthFor(opts.meta.pieceCount),
      dial: opts.dial,
      clock: this.#clock,
      isOpen: () => this.#state === "running" || this.#state === "seeding",
      admit: (conn, hs) => this.#admit(conn, hs),
      admitted: (peer, hs) => this.#greet(peer, hs),
      message: (peer, msg) => {
        try {
          onPeerMessage(this.#messages, peer, msg);
        } catch (err) {
          if (!(err instanceof StorageError)) throw err;
          this.#fail(err);
        }
      },
      drain: (peer) => this.#serve(peer),
      closed: (conn, reason, peer, wasPending) => this.#onClose(conn, reason, peer, wasPending),
    });
    this.#dataCheck = new DataCheck({
      meta: this.meta,
      storage: this.#storage,
      resumePath: opts.resumePath,
      log: this.#log,
      onWarning: (message) => this.emit("warning", { message }),
    });
    this.#cache = new ReadCache((index, into) => this.#storage.readPiece(index, into), Math.max(READ_CACHE_BYTES, 2 * this.meta.pieceLength), this.meta.pieceLength);
    const superSeed = opts.seedOnly && opts.superSeed ? new SuperSeeder(this.meta.pieceCount, this.picker.availability, { perPeer: offersPerPeer(this.meta.pieceLength) }) : undefined;
    this.#uploader = new Uploader({
      meta: this.meta,
      have: this.#downloader.picker.have,
      ...(superSeed && { allows: (peer: PeerState, index: number) => superSeed.allows(peer, index) }),
      cache: this.#cache,
      bucket: opts.uploadBucket,
      now: () => this.#clock.now(),
      onUploaded: (peer, bytes) => {
        peer.up.add(bytes);
        this.#up.add(bytes);
      },
      wakeAfter: (ms) => this.#wakeAfter(ms),
      onError: (err) => this.#fail(err),
    });
    // A super-seeder unchokes every interested peer: each holds pieces only it was offered, so a choked one
    // would sit on them until the optimistic slot came round.
    const slots = superSeed ? Number.MAX_SAFE_INTEGER : Math.max(1, opts.uploadSlots ?? DEFAULT_UPLOAD_SLOTS);
    this.#choking = new Choking(this.#uploader, slots);
    this.#messages = {
      meta: this.meta,
      downloader: this.#downloader,
      uploader: this.#uploader,
      choking: this.#choking,
      extensions: this.#extensions,
      peers: () => [...this.#peers.values()],
      done: () => this.done,
      superSeed,
    };
    this.#announcer = opts.createAnnouncer?.({
      getStats: () => ({ uploaded: this.#up.totalBytes, downloaded: this.#downloader.down.totalBytes, left: this.#wantedBytes - this.#verifiedBytes }),
      onPeers: (peers, source) => {
        this.emit("tracker", { url: source, peers: peers.length });
        this.addPeers(peers);
      },
    });
  }

  /** Admitted peers by connection. */
  get #peers(): Map<PeerConnection, PeerState> {
    return this.#conns.peers;
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
    this.#scheduleTick();
    this.emit("ready", this.stats());
    // Complete on disk already: seed without announcing `completed` (we downloaded nothing).
    if (this.done) this.#finish(false);
    this.#announcer?.start();
    this.#conns.connectMore();
    this.#downloader.fillAll(); // web seeds need no peer to start
  }

  /** Adds known peer addresses (from trackers, --peer, PEX...). */
  addPeers(addresses: readonly PeerAddress[]): void {
    this.#conns.add(addresses);
  }

  /** Route for the listener: accept an incoming connection for this torrent. */
  acceptIncoming(): { identity: LocalIdentity; handler: PeerHandler } | undefined {
    return this.#conns.acceptIncoming();
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
      knownPeers: this.#conns.pool.size,
    };
  }

  /** Disconnects everyone, announces `stopped`, saves the resume file, closes files. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = "stopped";
    this.#clock.clearTimeout(this.#timer);
    this.#clock.clearTimeout(this.#wakeTimer);
    this.#conns.closeAll("torrent stopped");
    this.#webSeeds.stop();
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

  /** A handshaken connection passed the shared checks (connections.ts): its peer state. */
  #admit(conn: PeerConnection, hs: Handshake): PeerState {
    conn.setMaxMessageLength(maxMessageLengthFor(this.meta.pieceCount));
    const peer = new PeerState(conn, conn.name, this.meta.pieceCount, this.#clock.now());
    peer.fast = hasReservedBit(hs.reserved, RESERVED_FAST);
    conn.state = peer;
    return peer;
  }

  /** The new peer is counted: what we have, our extension handshake, and the `connected` event. */
  #greet(peer: PeerState, hs: Handshake): void {
    const { conn } = peer;
    if (this.#messages.superSeed) this.#messages.superSeed.greet(peer);
    else greetPeer(peer, this.picker.have, this.meta.infoHash);
    if (hasReservedBit(hs.reserved, RESERVED_EXTENDED)) this.#extensions.handshake(peer);
    this.#log.debug(`connected ${conn.name}`);
    this.emit("peer", { event: "connected", address: conn.name, encryption: conn.encryption, ...(conn.transportKind && { transport: conn.transportKind }) });
  }

  #onClose(conn: PeerConnection, reason: string, peer: PeerState | undefined, wasPending: boolean): void {
    if (peer) {
      // drop (by the peer, mid-block or not): its partial frame died with the framer, and every block we
      // had requested from it goes back to the picker for the others.
      this.#downloader.releaseAll(peer);
      this.picker.removeAvailability(peer.has);
      this.#choking.forget(peer.key);
      this.#messages.superSeed?.forget(peer);
      this.#log.debug(`disconnected ${conn.name}: ${reason}`);
      this.emit("peer", { event: "disconnected", address: conn.name, reason });
    }
    if (wasPending) this.#log.debug(`could not connect to ${conn.name}: ${reason}`);
    // A peer dropped before its handshake completed (wrong infoHash, timeout, plaintext refused, failed
    // encryption) is reported too, so a hostile peer's fate is visible; refused TCP dials are not.
    if (!peer && (wasPending || !conn.outgoing) && conn.opened) this.emit("peer", { event: "disconnected", address: conn.name, reason });
    if (this.#state === "running" || this.#state === "seeding") {
      this.#conns.connectMore();
      this.#downloader.fillAll();
      if (peer && !peer.amChoking) this.#choking.fillFreeSlots([...this.#peers.values()]);
    }
  }

  #onVerified(index: number, lengthBytes: number): void {
    if (this.picker.wanted.has(index)) this.#verifiedBytes += lengthBytes;
    this.emit("piece", { index });
    if (this.done) this.#finish(true);
    else this.#downloader.fillAll();
  }

  #ban(key: string, reason: string): void {
    if (this.#webSeeds.ban(key, reason)) return;
    this.#conns.ban(key, reason);
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
    this.#clock.clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = this.#clock.setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#wakeAt = Infinity;
      this.#downloader.fillAll();
      for (const peer of this.#peers.values()) this.#serve(peer);
    }, Math.max(1, ms));
  }

  /** Re-armed before each tick runs, so a tick that stops the torrent clears the next one. */
  #scheduleTick(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#scheduleTick();
      this.#tick();
    }, TICK_MS);
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
    this.#conns.connectMore();
    if (this.#peers.size === 0 && this.#conns.pendingCount === 0 && !this.#conns.pool.hasUsable()) this.#announcer?.requestPeers();
  }
}
