// One torrent's swarm: verification, choking, the download and upload halves and the announces, driven by
// events (peer messages, socket drains) and the swarm core's 1 s tick; no per-peer polling. The torrent is
// the SwarmHandler of its SwarmCore (swarm-core.ts); the halves live in downloader.ts and uploader.ts, the
// message dispatch in peer-messages.ts.

import { LIMITS, Emitter, StorageError, RippleError, errorMessage, silentLogger, systemClock, type Clock, type Logger, type PeerAddress } from "../util/index.ts";
import { pieceLengthAt, type Metainfo } from "../metainfo/index.ts";
import { RESERVED_EXTENDED, RESERVED_FAST, hasReservedBit, maxMessageLengthFor, type Handshake, type PeerMessage } from "../wire/index.ts";
import type { LocalIdentity, PeerConnection, PeerHandler } from "../peer/index.ts";
import { DataCheck, type Storage } from "../storage/index.ts";
import { DEFAULT_UPLOAD_SLOTS, RECHOKE_INTERVAL_MS } from "./choker.ts";
import { Choking } from "./choking.ts";
import { Extensions } from "./extensions.ts";
import { Downloader, type DownloaderHandler } from "./downloader.ts";
import { onPeerAdmitted, onPeerGone, onPeerMessage, type TorrentParts } from "./peer-messages.ts";
import { PeerState } from "./peer-state.ts";
import { wantedPieceBytes, wantedPieces } from "./picker.ts";
import { RateMeter } from "./rate.ts";
import { ReadCache } from "./read-cache.ts";
import { SuperSeeder, offersPerPeer } from "./super-seed.ts";
import { SwarmCore, type SwarmHandler } from "./swarm-core.ts";
import { Uploader, type UploaderHandler } from "./uploader.ts";
import { WebSeeds, type WebSeedsHandler } from "./web-seeds.ts";
import type { TorrentEvents, TorrentOptions, TorrentStats } from "./torrent-types.ts";

export type { TorrentEvents, TorrentOptions, TorrentStats } from "./torrent-types.ts";

export const DEFAULT_MAX_PEERS = LIMITS.peersPerTorrent;
export const DEFAULT_MEMORY_BUDGET_BYTES = LIMITS.inFlightPieceBytes;
const READ_CACHE_BYTES = LIMITS.uploadReadCacheBytes;
/** How often the resume file is rewritten while pieces keep arriving. */
const RESUME_SAVE_INTERVAL_MS = 30_000;

type TorrentState = "idle" | "checking" | "running" | "seeding" | "stopped";

/** What the downloader, the web seeds and the uploader ask of the torrent: the torrent answers all three. */
type PartsHandler = DownloaderHandler & UploaderHandler & WebSeedsHandler;

export class Torrent extends Emitter<TorrentEvents> {
  readonly meta: Metainfo;
  readonly #storage: Storage;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #core: SwarmCore<PeerState>;
  readonly #choking: Choking;
  readonly #extensions: Extensions;
  readonly #downloader: Downloader;
  readonly #uploader: Uploader;
  /** The parts above (and the super-seeder) as a peer's greeting, messages and leaving reach them (peer-messages.ts). */
  readonly #parts: TorrentParts;
  readonly #webSeeds: WebSeeds;
  readonly #cache: ReadCache;
  readonly #dataCheck: DataCheck;
  readonly #up = new RateMeter();
  readonly #wantedBytes: number;
  readonly #seedOnly: boolean;
  #verifiedBytes = 0;
  #lastResumeSave = 0;
  #state: TorrentState = "idle";
  #stopping: Promise<void> | undefined;

  constructor(opts: TorrentOptions) {
    super();
    this.meta = opts.meta;
    this.#storage = opts.storage;
    this.#log = opts.log ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
    this.#seedOnly = opts.seedOnly === true;
    const swarm = { infoHash: opts.meta.infoHash, peerId: opts.peerId, maxPeers: opts.maxPeers ?? DEFAULT_MAX_PEERS, dial: opts.dial, clock: this.#clock };
    const frames = maxMessageLengthFor(opts.meta.pieceCount);
    this.#core = new SwarmCore<PeerState>({ ...swarm, maxMessageLength: frames, createAnnouncer: opts.createAnnouncer }, this.#swarmHandler());
    this.#extensions = new Extensions(
      { meta: opts.meta, version: opts.version ?? "0", log: this.#log },
      { port: () => opts.listenPort?.() ?? 0, onPexPeers: (peers) => this.addPeers(peers) },
    );
    const parts = this.#partsHandler();
    const down = { meta: this.meta, clock: this.#clock, log: this.#log, bucket: opts.downloadBucket };
    const maxInProgress = Math.max(2, Math.floor((opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES) / opts.meta.pieceLength));
    this.#downloader = new Downloader({ ...down, storage: this.#storage }, parts, maxInProgress, opts.selectedFiles && wantedPieces(opts.meta, opts.selectedFiles));
    this.#webSeeds = new WebSeeds({ ...down, downloader: this.#downloader }, parts, opts.webSeeds ?? []);
    this.#wantedBytes = wantedPieceBytes(this.meta, this.picker.wanted);
    this.#dataCheck = new DataCheck({
      meta: this.meta,
      storage: this.#storage,
      resumePath: opts.resumePath,
      log: this.#log,
      onWarning: (message) => this.emit("warning", { message }),
      clock: this.#clock,
    });
    this.#cache = new ReadCache((index, into) => this.#storage.readPiece(index, into), Math.max(READ_CACHE_BYTES, 2 * this.meta.pieceLength), this.meta.pieceLength);
    const superSeed = opts.seedOnly && opts.superSeed ? new SuperSeeder(this.meta.pieceCount, this.picker.availability, { perPeer: offersPerPeer(this.meta.pieceLength) }) : undefined;
    const allows = superSeed && ((peer: PeerState, index: number) => superSeed.allows(peer, index));
    const up = { meta: this.meta, have: this.picker.have, cache: this.#cache, clock: this.#clock, bucket: opts.uploadBucket, ...(allows && { allows }) };
    this.#uploader = new Uploader(up, parts);
    // A super-seeder unchokes every interested peer: each holds pieces only it was offered, so a choked one
    // would sit on them until the optimistic slot came round.
    const slots = superSeed ? Number.MAX_SAFE_INTEGER : Math.max(1, opts.uploadSlots ?? DEFAULT_UPLOAD_SLOTS);
    this.#choking = new Choking(this.#uploader, slots);
    this.#parts = { meta: this.meta, downloader: this.#downloader, uploader: this.#uploader, choking: this.#choking, extensions: this.#extensions, superSeed, peers: this.#peers };
  }

  /** What the swarm core reports to this torrent, and asks of it: every wire from the core in one place. */
  #swarmHandler(): SwarmHandler<PeerState> {
    return {
      isOpen: () => this.#state === "running" || this.#state === "seeding",
      admit: (conn, hs) => this.#admit(conn, hs),
      admitted: (peer, hs) => this.#greet(peer, hs),
      message: (peer, msg) => this.#onMessage(peer, msg),
      drain: (peer) => this.#serve(peer),
      closed: (conn, reason, peer, wasPending) => this.#onClose(conn, reason, peer, wasPending),
      tick: (now, elapsedMs) => this.#tick(now, elapsedMs),
      wake: () => {
        this.#downloader.fillAll();
        for (const peer of this.#peers.values()) this.#serve(peer);
      },
      announceStats: () => ({ uploaded: this.#up.totalBytes, downloaded: this.#downloader.down.totalBytes, left: this.#wantedBytes - this.#verifiedBytes }),
      announced: (url, peers) => this.emit("tracker", { url, peers }),
    };
  }

  /** What the downloader, the web seeds and the uploader ask of this torrent: one object for the three. */
  #partsHandler(): PartsHandler {
    return {
      peers: () => this.#peers.values(),
      downloading: () => this.#state === "running",
      wakeAfter: (ms) => this.#core.wakeAfter(ms),
      onError: (err) => this.#fail(err),
      onVerified: (index, length) => this.#onVerified(index, length),
      onHashFailed: (index) => {
        this.#log.warn(`piece ${index} failed its hash check`);
        this.emit("warning", { message: `piece ${index} failed its hash check; fetching it again` });
      },
      ban: (key, reason) => this.#ban(key, reason),
      fillOthers: () => this.#webSeeds.fill(),
      onUploaded: (peer, bytes) => {
        peer.up.add(bytes);
        this.#up.add(bytes);
      },
      emit: (event) => this.emit("webseed", event),
      warn: (message) => this.emit("warning", { message }),
    };
  }

  /** Admitted peers by connection. */
  get #peers(): Map<PeerConnection, PeerState> {
    return this.#core.peers;
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
    this.#choking.lastRechokeAt = this.#clock.now();
    this.emit("ready", this.stats());
    // Complete on disk already: seed without announcing `completed` (we downloaded nothing).
    if (this.done) this.#finish(false);
    this.#core.start(); // after a stop() from a `ready` listener, this does nothing
    this.#downloader.fillAll(); // web seeds need no peer to start
  }

  /** Adds known peer addresses (from trackers, --peer, PEX...). */
  addPeers(addresses: readonly PeerAddress[]): void {
    this.#core.addPeers(addresses);
  }

  /** Route for the listener: accept an incoming connection for this torrent. */
  acceptIncoming(): { identity: LocalIdentity; handler: PeerHandler } | undefined {
    return this.#core.acceptIncoming();
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
      knownPeers: this.#core.connections.pool.size,
    };
  }

  /** Disconnects everyone, announces `stopped`, saves the resume file, closes files. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = "stopped";
    const announced = this.#core.stop("torrent stopped");
    this.#webSeeds.stop();
    this.#cache.clear();
    try {
      await Promise.all([announced, this.#downloader.flush().then(() => this.#dataCheck.save(this.picker.have, true))]);
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
    onPeerAdmitted(this.#parts, peer, hasReservedBit(hs.reserved, RESERVED_EXTENDED));
    this.#log.debug(`connected ${conn.name}`);
    this.emit("peer", { event: "connected", address: conn.name, encryption: conn.encryption, ...(conn.transportKind && { transport: conn.transportKind }) });
  }

  #onMessage(peer: PeerState, msg: PeerMessage): void {
    try {
      onPeerMessage(this.#parts, peer, msg);
    } catch (err) {
      this.#failOnDiskError(err);
    }
  }

  #onClose(conn: PeerConnection, reason: string, peer: PeerState | undefined, wasPending: boolean): void {
    if (peer) {
      onPeerGone(this.#parts, peer);
      this.#log.debug(`disconnected ${conn.name}: ${reason}`);
      this.emit("peer", { event: "disconnected", address: conn.name, reason });
    }
    if (wasPending) this.#log.debug(`could not connect to ${conn.name}: ${reason}`);
    // A peer dropped before its handshake completed (wrong infoHash, timeout, plaintext refused, failed
    // encryption) is reported too, so a hostile peer's fate is visible; refused TCP dials are not.
    if (!peer && (wasPending || !conn.outgoing) && conn.opened) this.emit("peer", { event: "disconnected", address: conn.name, reason });
    if (this.#state === "running" || this.#state === "seeding") {
      this.#core.connections.connectMore();
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
    this.#core.connections.ban(key, reason);
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
    if (announceCompleted) this.#core.completed();
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

  /** Serves a peer's queued requests. */
  #serve(peer: PeerState): void {
    try {
      this.#uploader.serve(peer);
    } catch (err) {
      this.#failOnDiskError(err);
    }
  }

  /** Serving a peer (a request, a drain) hit a disk error: the data went from under us, so the torrent stops. */
  #failOnDiskError(err: unknown): void {
    if (!(err instanceof StorageError)) throw err;
    this.#fail(err);
  }

  /** The torrent's share of the core's tick; the core dials more and asks for peers after it. */
  #tick(now: number, elapsedMs: number): void {
    this.#downloader.down.tick(elapsedMs);
    this.#up.tick(elapsedMs);
    for (const peer of this.#peers.values()) {
      const verdict = peer.tick(now, elapsedMs);
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
  }
}
