// One torrent of the daemon at run time (its record, metainfo, running Torrent or metadata fetch): its
// qBittorrent view and session totals, a new torrent's record and a saved one's entry. Pure apart from
// the .torrent reader it is given; times come from the caller (the daemon's clock).

import { join } from "node:path";
import { formatMagnet, magnetMetainfo, parseMagnet, parseMetainfo, type Magnet, type Metainfo } from "../metainfo/index.ts";
import { torrentLayout } from "../storage/index.ts";
import { RippleError, errorMessage } from "../util/index.ts";
import type { MetadataFetcher, Torrent } from "../swarm/index.ts";
import type { Phase, TorrentView } from "./qbt-map.ts";
import type { TorrentRecord } from "./state-store.ts";

export interface Entry {
  rec: TorrentRecord;
  meta?: Metainfo;
  select?: number[];
  magnet?: Magnet;
  torrent?: Torrent;
  fetcher?: MetadataFetcher;
  phase: Phase;
  error?: string;
  /** The daemon clock's now() when seeding began in this session. */
  seedingSince?: number;
  /** While its Torrent or metadata fetch is being stopped (see Daemon's #halt). */
  halting?: Promise<void>;
}

/** The torrent's data: <save path>/<name> (a file, or the directory of a multi-file torrent); a magnet's guessed from its name. */
export function contentPath(e: Entry): string {
  return e.meta ? torrentLayout(e.meta, e.rec.savePath).content : join(e.rec.savePath, e.rec.name);
}

/** Bytes of the torrent's real files (pad files left out). */
export function wantedBytes(meta: Metainfo): number {
  return meta.files.reduce((n, f) => n + (f.isPad ? 0 : f.lengthBytes), 0);
}

/** A saved torrent's entry: its .torrent (`readTorrent`) or magnet parsed again; `error` when that fails. */
export function restoreEntry(rec: TorrentRecord, readTorrent: (hash: string) => Uint8Array): Entry {
  const entry: Entry = { rec, phase: rec.stopped ? "stopped" : "queued" };
  try {
    if (rec.magnet !== undefined) entry.magnet = parseMagnet(rec.magnet);
    if (rec.hasTorrentFile) {
      const meta = parseMetainfo(readTorrent(rec.hash));
      if (entry.magnet) Object.assign(entry, magnetMetainfo(entry.magnet, meta.infoBytes));
      else entry.meta = meta;
    }
    if (!entry.meta && !entry.magnet) throw new RippleError("STORAGE", "neither a .torrent nor a magnet is saved");
  } catch (err) {
    entry.phase = "error";
    entry.error = `cannot restore the torrent: ${errorMessage(err)}`;
  }
  return entry;
}

/** A new torrent's record: nothing transferred yet, added at `addedOn` (Unix seconds). */
export function newRecord(
  o: Pick<TorrentRecord, "hash" | "magnet" | "name" | "savePath" | "category" | "tags" | "stopped" | "ratioLimit" | "seedingTimeLimit" | "queuePos" | "addedOn"> & { meta?: Metainfo },
): TorrentRecord {
  const { meta, ...fields } = o;
  return {
    ...fields,
    hasTorrentFile: meta !== undefined,
    complete: false,
    completionOn: -1,
    uploaded: 0,
    downloaded: 0,
    seedingTimeSec: 0,
    verifiedBytes: 0,
    sizeBytes: meta ? wantedBytes(meta) : 0,
  };
}

/** The record's totals with the running session added (`nowMs` on the clock of `seedingSince`). */
export function sessionTotals(e: Entry, nowMs: number): Pick<TorrentRecord, "uploaded" | "downloaded" | "seedingTimeSec" | "verifiedBytes"> {
  const s = e.torrent?.stats();
  return {
    uploaded: e.rec.uploaded + (s?.uploadedBytes ?? 0),
    downloaded: e.rec.downloaded + (s?.downloadedBytes ?? 0),
    seedingTimeSec: e.rec.seedingTimeSec + (e.seedingSince === undefined ? 0 : (nowMs - e.seedingSince) / 1000),
    verifiedBytes: s?.verifiedBytes ?? e.rec.verifiedBytes,
  };
}

/** The snapshot qbt-map.ts renders: `totals` are the record's counters with the running session added. */
export function viewOf(e: Entry, totals: Pick<TorrentRecord, "uploaded" | "downloaded" | "seedingTimeSec" | "verifiedBytes">, priority: number): TorrentView {
  const s = e.torrent?.stats();
  const meta = e.meta;
  const trackers = meta?.announceTiers.flat() ?? e.magnet?.trackers ?? [];
  return {
    hash: e.rec.hash,
    name: e.rec.name,
    phase: e.phase,
    complete: e.rec.complete,
    forceStart: e.rec.forceStart === true,
    ...(e.error !== undefined && { error: e.error }),
    sizeBytes: s?.totalBytes ?? e.rec.sizeBytes,
    totalSizeBytes: meta ? wantedBytes(meta) : 0,
    verifiedBytes: totals.verifiedBytes,
    downloadedBytes: totals.downloaded,
    uploadedBytes: totals.uploaded,
    downloadedSessionBytes: s?.downloadedBytes ?? 0,
    uploadedSessionBytes: s?.uploadedBytes ?? 0,
    downloadRate: s?.downloadRate ?? 0,
    uploadRate: s?.uploadRate ?? 0,
    peers: s?.peers ?? e.fetcher?.progress().peers ?? 0,
    knownPeers: s?.knownPeers ?? 0,
    savePath: e.rec.savePath,
    contentPath: contentPath(e),
    category: e.rec.category,
    tags: e.rec.tags,
    addedOn: e.rec.addedOn,
    completionOn: e.rec.completionOn,
    seedingTimeSec: totals.seedingTimeSec,
    ratioLimit: e.rec.ratioLimit,
    seedingTimeLimit: e.rec.seedingTimeLimit,
    priority,
    magnetUri: e.rec.magnet ?? formatMagnet({ infoHash: meta!.infoHash, name: meta!.name, trackers }),
    tracker: trackers[0] ?? "",
    trackersCount: trackers.length,
    pieceLength: meta?.pieceLength ?? 0,
    pieceCount: meta?.pieceCount ?? 0,
    piecesDone: e.torrent?.picker.have.count ?? 0,
    isPrivate: meta?.private ?? false,
    comment: meta?.comment ?? "",
    createdBy: meta?.createdBy ?? "",
    creationDate: meta?.creationDate ?? -1,
  };
}
