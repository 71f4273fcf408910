// `ripple daemon`'s core: many torrents on one Client (one listen port, one DHT, one UDP tracker client),
// kept in a state dir across restarts, with categories, tags, a download queue and seeding limits (the
// rules in queue.ts). Shell: owns the Client, timers and files. The HTTP API (http-api.ts) is a thin
// layer over it.

import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Client, type ClientOptions } from "../client.ts";
import { isMagnetUri, parseMagnet, parseMetainfo, torrentFileFromInfo, type Magnet, type Metainfo } from "../metainfo/index.ts";
import { torrentLayout } from "../storage/index.ts";
import type { Torrent } from "../swarm/index.ts";
import { LIMITS, RippleError, epochSeconds, errorMessage, repeat, silentLogger, systemClock, type Clock, type Logger } from "../util/index.ts";
import { contentPath, newRecord, restoreEntry, sessionTotals, viewOf, wantedBytes, type Entry } from "./entry.ts";
import type { Phase, TorrentView } from "./qbt-map.ts";
import * as labels from "./labels.ts";
import { moveInQueue, nextQueuePos, planQueue, queueOrder, shareLimitReached } from "./queue.ts";
import { SavePaths } from "./save-paths.ts";
import { StateStore, type DaemonState, type TorrentRecord } from "./state-store.ts";

export interface DaemonOptions {
  stateDir: string;
  /** Default save path, and the first allowed root. */
  downloadDir: string;
  /** More directories save paths may be under (--allow-save-path). */
  allowedSaveRoots?: readonly string[];
  client: ClientOptions;
  /** Downloads running at once; the others wait as queuedDL. Default 3 (qBittorrent's); -1 = no limit. */
  maxActiveDownloads?: number;
  /** The global seeding limits a torrent's -2 stands for (qBittorrent's max_ratio, max_seeding_time in minutes). */
  shareLimits?: { ratio?: number; seedingTimeMin?: number };
  log?: Logger;
  /** The save interval, seeding times and the dates shown (added, completed). Default systemClock. */
  clock?: Clock;
}

export interface AddRequest {
  source: { magnet: string } | { torrent: Uint8Array };
  savePath?: string;
  category?: string;
  tags?: readonly string[];
  stopped?: boolean;
  ratioLimit?: number;
  seedingTimeLimit?: number;
}

const SAVE_INTERVAL_MS = 30_000;

export class Daemon {
  readonly client: Client;
  readonly clock: Clock;
  readonly savePaths: SavePaths;
  readonly #store: StateStore;
  readonly #state: DaemonState;
  readonly #entries = new Map<string, Entry>();
  /** Hashes being added (their .torrent is being written). */
  readonly #adding = new Set<string>();
  readonly #maxActive: number;
  readonly #shareLimits: { ratio?: number; seedingTimeMin?: number };
  readonly #log: Logger;
  readonly #stopSaving: () => void;
  #closed = false;

  private constructor(o: DaemonOptions, store: StateStore, state: DaemonState) {
    this.#store = store;
    this.#state = state;
    this.#log = o.log ?? silentLogger;
    this.clock = o.clock ?? systemClock;
    this.#maxActive = o.maxActiveDownloads ?? 3;
    this.#shareLimits = o.shareLimits ?? {};
    this.savePaths = new SavePaths(o.downloadDir, o.allowedSaveRoots);
    this.client = new Client({ ...o.client, log: this.#log, clock: this.clock });
    this.#stopSaving = repeat(this.clock, SAVE_INTERVAL_MS, () => void this.save().catch((err) => this.#log.warn(errorMessage(err))));
  }

  /** Loads the state dir (creating it on first start), opens the Client and starts the torrents. */
  static open(o: DaemonOptions): Daemon {
    const store = new StateStore(o.stateDir);
    const daemon = new Daemon(o, store, store.load());
    for (const rec of daemon.#state.torrents) daemon.#entries.set(rec.hash, restoreEntry(rec, (hash) => store.readTorrent(hash)));
    daemon.#schedule();
    return daemon;
  }

  get state(): DaemonState {
    return this.#state;
  }

  /** Adds a torrent or magnet; throws RippleError (BAD_REQUEST, METAINFO, CONFLICT) when it cannot. */
  async add(req: AddRequest): Promise<string> {
    if (this.#entries.size >= LIMITS.daemonTorrents) throw new RippleError("CONFLICT", `the daemon already has ${LIMITS.daemonTorrents} torrents`);
    let meta: Metainfo | undefined;
    let magnet: Magnet | undefined;
    if ("magnet" in req.source) {
      if (!isMagnetUri(req.source.magnet)) throw new RippleError("BAD_REQUEST", `not a magnet link: ${req.source.magnet.slice(0, 80)}`);
      magnet = parseMagnet(req.source.magnet);
    } else {
      meta = parseMetainfo(req.source.torrent);
    }
    const category = req.category ?? "";
    const savePath = this.savePaths.resolve(req.savePath || this.#state.categories[category]?.savePath || undefined);
    const hash = meta?.infoHashHex ?? magnet!.infoHashHex;
    if (this.#entries.has(hash) || this.#adding.has(hash)) throw new RippleError("CONFLICT", `torrent ${hash} is already added`);
    if (meta && "torrent" in req.source) {
      this.#adding.add(hash); // the same torrent arriving again while its file is written is a duplicate
      try {
        await this.#store.writeTorrent(hash, req.source.torrent);
      } finally {
        this.#adding.delete(hash);
      }
    }
    // qBittorrent creates a category named on add that does not exist yet.
    if (category !== "" && !Object.hasOwn(this.#state.categories, category)) this.#state.categories[category] = { savePath: "" };
    const tags = labels.addTags(this.#state, [], req.tags ?? []);
    const rec = newRecord({
      hash,
      ...("magnet" in req.source && { magnet: req.source.magnet }),
      ...(meta && { meta }),
      name: meta?.name ?? magnet?.name ?? hash,
      savePath,
      category,
      tags,
      stopped: req.stopped === true,
      ratioLimit: req.ratioLimit ?? -2,
      seedingTimeLimit: req.seedingTimeLimit ?? -2,
      queuePos: nextQueuePos(this.#state.torrents),
      addedOn: epochSeconds(this.clock),
    });
    this.#state.torrents.push(rec);
    this.#entries.set(hash, { rec, ...(meta && { meta }), ...(magnet && { magnet }), phase: rec.stopped ? "stopped" : "queued" });
    this.#log.info(`added ${rec.name} (${hash}) in ${savePath}`);
    this.#schedule();
    await this.save();
    return hash;
  }

  /** Entries in queue order. */
  #ordered(): Entry[] {
    return queueOrder(this.#entries.values());
  }

  /** Runs what the queue lets run (queue.ts) and sends the rest back to wait. */
  #schedule(): void {
    if (this.#closed) return;
    for (const { entry: e, run } of planQueue(this.#ordered(), this.#maxActive)) {
      if (run) this.#run(e);
      else if (e.torrent || e.fetcher) this.#halt(e, "queued");
      else e.phase = "queued";
    }
  }

  #run(e: Entry): void {
    if (e.torrent || e.fetcher || e.halting) return;
    if (e.rec.complete && e.meta && !existsSync(contentPath(e))) {
      e.phase = "missingFiles";
      e.error = `the data is missing: ${contentPath(e)}`;
      return;
    }
    let started: ReturnType<Client["addMagnet"]>;
    try {
      if (e.meta) return this.#attach(e, this.client.addTorrent(e.meta, { outDir: e.rec.savePath, ...(e.select && { files: { select: e.select } }) }));
      started = this.client.addMagnet(e.magnet!, { outDir: e.rec.savePath });
    } catch (err) {
      // Not #fail: that looks at the queue again, and #schedule is what called us.
      this.#log.warn(`${e.rec.name}: ${errorMessage(err)}`);
      e.phase = "error";
      e.error = errorMessage(err);
      return;
    }
    const { fetcher, torrent } = started;
    e.fetcher = fetcher;
    e.phase = "metaDL";
    torrent.then(
      async (t) => {
        if (e.fetcher !== fetcher) return void (await this.client.removeTorrent(t));
        e.fetcher = undefined;
        e.meta = t.meta;
        e.rec.name = t.meta.name;
        e.rec.sizeBytes = wantedBytes(t.meta);
        this.#attach(e, t);
        await this.#store.writeTorrent(e.rec.hash, torrentFileFromInfo(t.meta.infoBytes, { trackerTiers: t.meta.announceTiers, webSeeds: t.meta.urlList }));
        e.rec.hasTorrentFile = true;
        await this.save();
      },
      (err: unknown) => {
        if (e.fetcher !== fetcher) return; // cancelled: stopped or deleted meanwhile
        e.fetcher = undefined;
        this.#fail(e, err);
      },
    ).catch((err: unknown) => this.#log.warn(`${e.rec.name}: cannot save the fetched metadata: ${errorMessage(err)}`));
  }

  #attach(e: Entry, t: Torrent): void {
    e.torrent = t;
    e.phase = "checking";
    e.error = undefined;
    t.on("ready", () => {
      if (e.torrent === t) e.phase = "running";
    });
    t.on("done", () => {
      if (e.torrent !== t) return;
      e.rec.complete = true;
      if (e.rec.completionOn < 0) e.rec.completionOn = epochSeconds(this.clock);
      e.seedingSince = this.clock.now();
      this.#log.info(`completed ${e.rec.name}`);
      this.#checkShareLimits(e);
      this.#schedule();
      void this.save().catch((err) => this.#log.warn(errorMessage(err)));
    });
    t.on("progress", () => {
      if (e.torrent === t && e.rec.complete) this.#checkShareLimits(e);
    });
    t.on("error", ({ error }) => {
      if (e.torrent === t) this.#fail(e, error);
    });
  }

  #fail(e: Entry, err: unknown): void {
    this.#log.warn(`${e.rec.name}: ${errorMessage(err)}`);
    this.#halt(e, "error");
    e.error = errorMessage(err);
    this.#schedule();
  }

  /** Seeding limits (queue.ts): reaching one stops the torrent. */
  #checkShareLimits(e: Entry): void {
    const reached = shareLimitReached(viewOf(e, sessionTotals(e, this.clock.now()), 0), e.rec, this.#shareLimits);
    if (reached === undefined) return;
    this.#log.info(`${e.rec.name}: seeding ${reached} limit reached; stopping`);
    e.rec.stopped = true;
    this.#halt(e, "stopped");
    void this.save().catch((err) => this.#log.warn(errorMessage(err)));
  }

  /** Stops what runs for the entry, folding this session's counters into the record. */
  #halt(e: Entry, phase: Phase, after?: () => Promise<void>): Promise<void> {
    e.phase = phase;
    const { torrent, fetcher } = e;
    if (torrent) Object.assign(e.rec, sessionTotals(e, this.clock.now()));
    e.torrent = undefined;
    e.fetcher = undefined;
    e.seedingSince = undefined;
    if (!torrent && !fetcher && !after) return e.halting ?? Promise.resolve();
    // Until the old Torrent has flushed its pieces, saved its resume file and closed its files (and
    // `after` has run), a new one for the same data must not start: #run waits for this, and the queue
    // is looked at again after.
    const halting = Promise.all([e.halting, torrent && this.client.removeTorrent(torrent), fetcher && this.client.cancelMagnet(fetcher)])
      .then(() => after?.())
      .catch((err: unknown) => this.#log.warn(`${e.rec.name}: stopping failed: ${errorMessage(err)}`))
      .finally(() => {
        if (e.halting !== halting) return;
        e.halting = undefined;
        this.#schedule();
      });
    e.halting = halting;
    return halting;
  }

  #pick(hashes: readonly string[] | "all"): Entry[] {
    if (hashes === "all") return [...this.#entries.values()];
    return hashes.flatMap((h) => this.#entries.get(h.toLowerCase()) ?? []);
  }

  async stop(hashes: readonly string[] | "all"): Promise<void> {
    const halts = this.#pick(hashes).map((e) => {
      e.rec.stopped = true;
      e.rec.forceStart = false;
      return this.#halt(e, "stopped");
    });
    this.#schedule();
    await Promise.all([...halts, this.save()]);
  }

  async start(hashes: readonly string[] | "all"): Promise<void> {
    this.#resume(this.#pick(hashes), false);
    this.#schedule();
    await this.save();
  }

  /** qBittorrent's setForceStart: true runs the torrents whatever the queue says; false puts them back in it. */
  async setForceStart(hashes: readonly string[] | "all", value: boolean): Promise<void> {
    this.#resume(this.#pick(hashes), value);
    this.#schedule();
    await this.save();
  }

  #resume(entries: readonly Entry[], force: boolean): void {
    for (const e of entries) {
      e.rec.forceStart = force;
      if (!e.rec.stopped && e.phase !== "error" && e.phase !== "missingFiles") continue;
      e.rec.stopped = false;
      if (e.meta || e.magnet) e.phase = "queued";
    }
  }

  /** Hashes the data again from scratch (the resume file is dropped); a running torrent restarts. */
  async recheck(hashes: readonly string[] | "all"): Promise<void> {
    await Promise.all(
      this.#pick(hashes).map(async (e) => {
        const meta = e.meta;
        if (!meta) return;
        await this.#halt(e, e.rec.stopped ? "stopped" : "queued", async () => {
          await rm(torrentLayout(meta, e.rec.savePath).resume, { force: true });
          Object.assign(e.rec, { complete: false, verifiedBytes: 0 });
        });
      }),
    );
    this.#schedule();
    await this.save();
  }

  /** The saved .torrent (an upload, or a magnet's once its metadata arrived). */
  exportTorrent(hash: string): Uint8Array {
    const e = this.#entries.get(hash.toLowerCase());
    if (!e) throw new RippleError("NOT_FOUND", `Torrent hash was not found: ${hash}`);
    if (!e.rec.hasTorrentFile) throw new RippleError("CONFLICT", `torrent ${hash} has no metadata yet`);
    return this.#store.readTorrent(e.rec.hash);
  }

  async remove(hashes: readonly string[] | "all", deleteFiles: boolean): Promise<void> {
    await Promise.all(
      this.#pick(hashes).map(async (e) => {
        this.#entries.delete(e.rec.hash);
        this.#state.torrents = this.#state.torrents.filter((r) => r !== e.rec);
        await this.#halt(e, "stopped");
        this.#store.removeTorrent(e.rec.hash);
        if (deleteFiles && e.meta) {
          const layout = torrentLayout(e.meta, e.rec.savePath);
          for (const path of [layout.content, layout.resume, layout.parts]) await rm(path, { recursive: true, force: true });
        }
        this.#log.info(`removed ${e.rec.name}${deleteFiles ? " and its data" : ""}`);
      }),
    );
    this.#schedule();
    await this.save();
  }

  #records(hashes: readonly string[] | "all"): TorrentRecord[] {
    return this.#pick(hashes).map((e) => e.rec);
  }

  /**
   * Edits categories and tags (labels.ts) on the state and the records of `hashes`, then saves;
   * a save path given for a category is checked against the allowed roots first.
   */
  async editLabels(edit: (state: DaemonState, records: TorrentRecord[], savePath: (path: string) => string) => void, hashes: readonly string[] | "all" = []): Promise<void> {
    edit(this.#state, this.#records(hashes), (path) => (path === "" ? "" : this.savePaths.resolve(path)));
    await this.save();
  }

  async setShareLimits(hashes: readonly string[] | "all", ratioLimit: number, seedingTimeLimit: number): Promise<void> {
    for (const e of this.#pick(hashes)) {
      e.rec.ratioLimit = ratioLimit;
      e.rec.seedingTimeLimit = seedingTimeLimit;
      if (e.torrent && e.rec.complete) this.#checkShareLimits(e);
    }
    await this.save();
  }

  /** Moves the torrents to the top (or the bottom) of the queue, keeping their order. */
  async movePrio(hashes: readonly string[] | "all", to: "top" | "bottom"): Promise<void> {
    const wanted = new Set(this.#pick(hashes));
    moveInQueue(this.#state.torrents, this.#ordered().filter((e) => wanted.has(e)), to);
    this.#schedule();
    await this.save();
  }

  has(hash: string): boolean {
    return this.#entries.has(hash.toLowerCase());
  }

  meta(hash: string): { meta?: Metainfo; torrent?: Torrent } {
    const e = this.#entries.get(hash.toLowerCase());
    return { ...(e?.meta && { meta: e.meta }), ...(e?.torrent && { torrent: e.torrent }) };
  }

  /** Every torrent's view, in queue order; `priority` is the 1-based position among incomplete ones. */
  views(): TorrentView[] {
    let position = 0;
    return this.#ordered().map((e) => viewOf(e, sessionTotals(e, this.clock.now()), e.rec.complete ? 0 : ++position));
  }

  /** Writes daemon.json with the running sessions' counters folded in. */
  save(): Promise<void> {
    const torrents = this.#ordered().map((e) => ({ ...e.rec, ...sessionTotals(e, this.clock.now()) }));
    return this.#store.save({ ...this.#state, torrents });
  }

  /** Saves the state and stops every torrent (announcing `stopped`, writing resume files). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopSaving();
    await this.client.close();
    await this.save().catch((err) => this.#log.warn(errorMessage(err)));
  }
}
