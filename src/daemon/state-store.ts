// The daemon's state dir: daemon.json (torrents, categories, credentials) and torrents/<hash>.torrent.
// Shell: file I/O; every write is atomic (temp file, fsync, rename), so a kill -9 leaves old or new.

import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { join } from "node:path";
import { LIMITS, RippleError, errorMessage } from "../util/index.ts";

/** One torrent as the daemon remembers it across restarts. Resume data lives beside the data. */
export interface TorrentRecord {
  hash: string;
  /** The magnet it was added by (absent for a .torrent); the info dictionary is saved once fetched. */
  magnet?: string;
  /** torrents/<hash>.torrent exists (a .torrent upload, or a magnet whose metadata arrived). */
  hasTorrentFile: boolean;
  name: string;
  savePath: string;
  category: string;
  tags: string[];
  /** Stopped by the user (or a seeding limit); queued torrents are not stopped. */
  stopped: boolean;
  complete: boolean;
  /** Unix seconds; completionOn -1 until complete. */
  addedOn: number;
  completionOn: number;
  /** qBittorrent's conventions: -2 = the global limit, -1 = none; ratio, and minutes of seeding. */
  ratioLimit: number;
  seedingTimeLimit: number;
  /** Totals over all sessions so far (the running session's counters come on top). */
  uploaded: number;
  downloaded: number;
  seedingTimeSec: number;
  /** Bytes verified when last seen (shown while the torrent is stopped). */
  verifiedBytes: number;
  sizeBytes: number;
  /** Queue order: lower starts first. */
  queuePos: number;
  /** Force-started (qBittorrent's setForceStart): runs whatever the queue says, and is not counted in it. */
  forceStart?: boolean;
}

export interface Credentials {
  username: string;
  /** Bun.password hash (argon2id). */
  passwordHash: string;
}

export interface DaemonState {
  version: 1;
  credentials?: Credentials;
  categories: Record<string, { savePath: string }>;
  tags: string[];
  torrents: TorrentRecord[];
}

const STATE_FILE = "daemon.json";

export class StateStore {
  readonly dir: string;
  #writing: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.dir = dir;
    try {
      mkdirSync(join(dir, "torrents"), { recursive: true });
    } catch (err) {
      throw new RippleError("STORAGE", `cannot create the state dir ${dir}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** The saved state, or an empty one on first start; a corrupt file is an error (never silently dropped). */
  load(): DaemonState {
    const path = join(this.dir, STATE_FILE);
    rmSync(`${path}.tmp`, { force: true }); // a write cut short by a crash
    if (!existsSync(path)) return { version: 1, categories: {}, tags: [], torrents: [] };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new RippleError("STORAGE", `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
    }
    const s = parsed as Partial<DaemonState>;
    if (typeof s !== "object" || s === null || s.version !== 1 || !Array.isArray(s.torrents)) {
      throw new RippleError("STORAGE", `${path} is not a ripple daemon state file (version 1)`);
    }
    return {
      version: 1,
      ...(s.credentials && { credentials: s.credentials }),
      categories: s.categories ?? {},
      tags: s.tags ?? [],
      torrents: s.torrents.slice(0, LIMITS.daemonTorrents),
    };
  }

  /** Writes the state; writes are serialised so an older snapshot never lands after a newer one. */
  save(state: DaemonState): Promise<void> {
    const text = JSON.stringify(state, null, 1);
    const next = this.#writing.then(() => writeAtomic(join(this.dir, STATE_FILE), new TextEncoder().encode(text)));
    this.#writing = next.catch(() => undefined); // the caller sees the error; the chain goes on
    return next;
  }

  torrentPath(hash: string): string {
    return join(this.dir, "torrents", `${hash}.torrent`);
  }

  readTorrent(hash: string): Uint8Array {
    return readFileSync(this.torrentPath(hash));
  }

  writeTorrent(hash: string, bytes: Uint8Array): Promise<void> {
    return writeAtomic(this.torrentPath(hash), bytes);
  }

  removeTorrent(hash: string): void {
    rmSync(this.torrentPath(hash), { force: true });
  }
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(bytes);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    throw new RippleError("STORAGE", `cannot write ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
