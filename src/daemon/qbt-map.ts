// The qBittorrent Web API v2 view of a daemon torrent: states, the /torrents/info fields, properties,
// files, filters and sorting. Pure: a TorrentView (a snapshot) and `nowSec` in, JSON-ready objects out.

/** Where a torrent is in the daemon's life cycle (qbtState adds completeness and activity). */
export type Phase = "metaDL" | "checking" | "running" | "stopped" | "queued" | "error" | "missingFiles";

export interface TorrentView {
  hash: string;
  name: string;
  phase: Phase;
  complete: boolean;
  /** Force-started: runs outside the queue (qBittorrent's forcedDL/forcedUP/forcedMetaDL). */
  forceStart: boolean;
  error?: string;
  /** Wanted bytes (0 until a magnet's metadata arrives). */
  sizeBytes: number;
  totalSizeBytes: number;
  verifiedBytes: number;
  /** All-time totals and this session's. */
  downloadedBytes: number;
  uploadedBytes: number;
  downloadedSessionBytes: number;
  uploadedSessionBytes: number;
  downloadRate: number;
  uploadRate: number;
  peers: number;
  knownPeers: number;
  savePath: string;
  contentPath: string;
  category: string;
  tags: readonly string[];
  addedOn: number;
  completionOn: number;
  seedingTimeSec: number;
  ratioLimit: number;
  seedingTimeLimit: number;
  /** 1-based queue position among incomplete torrents; 0 when complete (as qBittorrent). */
  priority: number;
  magnetUri: string;
  tracker: string;
  trackersCount: number;
  pieceLength: number;
  pieceCount: number;
  piecesDone: number;
  isPrivate: boolean;
  comment: string;
  createdBy: string;
  creationDate: number;
}

/** qBittorrent's "infinite" ETA (100 days). */
export const ETA_INFINITE = 8_640_000;
const MAX_RATIO = 9999;

export function qbtState(t: TorrentView): string {
  switch (t.phase) {
    case "error":
      return "error";
    case "missingFiles":
      return "missingFiles";
    case "stopped":
      return t.complete ? "stoppedUP" : "stoppedDL";
    case "queued":
      return t.complete ? "queuedUP" : "queuedDL";
    case "metaDL":
      return t.forceStart ? "forcedMetaDL" : "metaDL";
    case "checking":
      return t.complete ? "checkingUP" : "checkingDL";
    case "running":
      if (t.complete) return t.forceStart ? "forcedUP" : t.uploadRate > 0 ? "uploading" : "stalledUP";
      return t.forceStart ? "forcedDL" : t.downloadRate > 0 ? "downloading" : "stalledDL";
  }
}

/** qBittorrent's share ratio: uploaded / downloaded (or / the data held, when little was downloaded). */
export function shareRatio(t: TorrentView): number {
  const down = t.downloadedBytes < t.verifiedBytes * 0.01 ? t.verifiedBytes : t.downloadedBytes;
  if (down === 0) return t.uploadedBytes === 0 ? 0 : MAX_RATIO;
  return Math.min(MAX_RATIO, t.uploadedBytes / down);
}

export function progressOf(t: TorrentView): number {
  if (t.complete) return 1;
  return t.sizeBytes === 0 ? 0 : Math.min(1, t.verifiedBytes / t.sizeBytes);
}

export function etaOf(t: TorrentView): number {
  const left = t.sizeBytes - t.verifiedBytes;
  if (t.complete || t.phase !== "running" || t.downloadRate <= 0 || t.sizeBytes === 0) return ETA_INFINITE;
  return Math.min(ETA_INFINITE, Math.ceil(left / t.downloadRate));
}

/** One element of /torrents/info (and of /sync/maindata's torrents, keyed by hash). */
export function torrentInfo(t: TorrentView, nowSec: number): Record<string, unknown> {
  const state = qbtState(t);
  const downloading = !t.complete && t.phase === "running";
  return {
    added_on: t.addedOn,
    amount_left: Math.max(0, t.sizeBytes - t.verifiedBytes),
    auto_tmm: false,
    availability: -1,
    category: t.category,
    completed: t.verifiedBytes,
    completion_on: t.completionOn,
    content_path: t.contentPath,
    dl_limit: -1,
    dlspeed: Math.round(t.downloadRate),
    download_path: "",
    downloaded: t.downloadedBytes,
    downloaded_session: t.downloadedSessionBytes,
    eta: etaOf(t),
    f_l_piece_prio: false,
    force_start: t.forceStart,
    has_metadata: t.phase !== "metaDL" && t.pieceCount > 0,
    hash: t.hash,
    infohash_v1: t.hash,
    infohash_v2: "",
    last_activity: t.downloadRate > 0 || t.uploadRate > 0 ? nowSec : t.addedOn,
    magnet_uri: t.magnetUri,
    max_ratio: t.ratioLimit,
    max_seeding_time: t.seedingTimeLimit,
    name: t.name,
    num_complete: -1,
    num_incomplete: -1,
    // ripple does not tell seeds from leechers among its connections: they count as what we need.
    num_leechs: downloading ? 0 : t.peers,
    num_seeds: downloading ? t.peers : 0,
    priority: t.priority,
    private: t.isPrivate,
    progress: progressOf(t),
    ratio: shareRatio(t),
    ratio_limit: t.ratioLimit,
    reannounce: 0,
    save_path: t.savePath,
    seeding_time: Math.floor(t.seedingTimeSec),
    seeding_time_limit: t.seedingTimeLimit,
    seen_complete: t.complete ? t.completionOn : -1,
    seq_dl: false,
    size: t.sizeBytes,
    state,
    super_seeding: false,
    tags: t.tags.join(", "),
    time_active: Math.max(0, nowSec - t.addedOn),
    total_size: t.totalSizeBytes,
    tracker: t.tracker,
    trackers_count: t.trackersCount,
    up_limit: -1,
    uploaded: t.uploadedBytes,
    uploaded_session: t.uploadedSessionBytes,
    upspeed: Math.round(t.uploadRate),
  };
}

/** /torrents/properties. */
export function torrentProperties(t: TorrentView, nowSec: number): Record<string, unknown> {
  return {
    hash: t.hash,
    infohash_v1: t.hash,
    infohash_v2: "",
    name: t.name,
    save_path: t.savePath,
    download_path: "",
    creation_date: t.creationDate,
    piece_size: t.pieceLength,
    comment: t.comment,
    created_by: t.createdBy,
    is_private: t.isPrivate,
    total_wasted: 0,
    total_uploaded: t.uploadedBytes,
    total_uploaded_session: t.uploadedSessionBytes,
    total_downloaded: t.downloadedBytes,
    total_downloaded_session: t.downloadedSessionBytes,
    up_limit: -1,
    dl_limit: -1,
    time_elapsed: Math.max(0, nowSec - t.addedOn),
    seeding_time: Math.floor(t.seedingTimeSec),
    nb_connections: t.peers,
    nb_connections_limit: -1,
    share_ratio: shareRatio(t),
    addition_date: t.addedOn,
    completion_date: t.completionOn,
    last_seen: t.complete ? nowSec : -1,
    dl_speed: Math.round(t.downloadRate),
    dl_speed_avg: 0,
    up_speed: Math.round(t.uploadRate),
    up_speed_avg: 0,
    eta: etaOf(t),
    peers: t.peers,
    peers_total: t.knownPeers,
    seeds: 0,
    seeds_total: -1,
    pieces_have: t.piecesDone,
    pieces_num: t.pieceCount,
    reannounce: 0,
    total_size: t.totalSizeBytes,
    has_metadata: t.pieceCount > 0,
  };
}

/** qBittorrent's /torrents/info `filter` values (5.x names and the older paused/resumed). */
export const FILTERS = ["all", "downloading", "seeding", "completed", "paused", "stopped", "resumed", "running", "active", "inactive", "stalled", "stalled_uploading", "stalled_downloading", "checking", "moving", "errored"] as const;

export function matchesFilter(t: TorrentView, filter: string): boolean {
  const state = qbtState(t);
  const active = t.downloadRate > 0 || t.uploadRate > 0;
  switch (filter) {
    case "all":
      return true;
    case "downloading":
      return ["downloading", "forcedDL", "stalledDL", "metaDL", "forcedMetaDL", "queuedDL", "checkingDL"].includes(state);
    case "seeding":
      return ["uploading", "forcedUP", "stalledUP", "queuedUP", "checkingUP"].includes(state);
    case "completed":
      return t.complete;
    case "paused":
    case "stopped":
      return t.phase === "stopped";
    case "resumed":
    case "running":
      return t.phase !== "stopped";
    case "active":
      return active;
    case "inactive":
      return !active;
    case "stalled":
      return state === "stalledUP" || state === "stalledDL";
    case "stalled_uploading":
      return state === "stalledUP";
    case "stalled_downloading":
      return state === "stalledDL";
    case "checking":
      return t.phase === "checking";
    case "moving":
      return false;
    case "errored":
      return t.phase === "error" || t.phase === "missingFiles";
    default:
      return false;
  }
}

export interface InfoQuery {
  filter?: string;
  /** undefined = any; "" = without a category. */
  category?: string;
  tag?: string;
  hashes?: readonly string[];
  sort?: string;
  reverse?: boolean;
  limit?: number;
  offset?: number;
}

/** /torrents/info: filter, sort (by any field), then offset and limit (a negative offset counts from the end). */
export function listInfo(views: readonly TorrentView[], q: InfoQuery, nowSec: number): Record<string, unknown>[] {
  let rows = views
    .filter((t) => (q.filter === undefined ? true : matchesFilter(t, q.filter)))
    .filter((t) => q.category === undefined || t.category === q.category)
    .filter((t) => q.tag === undefined || (q.tag === "" ? t.tags.length === 0 : t.tags.includes(q.tag)))
    .filter((t) => q.hashes === undefined || q.hashes.includes(t.hash))
    .map((t) => torrentInfo(t, nowSec));
  if (q.sort !== undefined) {
    const key = q.sort;
    rows = rows.toSorted((a, b) => compareValues(a[key], b[key]));
  }
  if (q.reverse) rows.reverse();
  const offset = q.offset ?? 0;
  const start = offset < 0 ? Math.max(0, rows.length + offset) : offset;
  return rows.slice(start, q.limit !== undefined && q.limit > 0 ? start + q.limit : undefined);
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a ?? "").localeCompare(String(b ?? ""));
}

/** /torrents/files: one entry per file (pad files left out), progress from the pieces it spans. */
export function torrentFiles(
  files: readonly { path: readonly string[]; lengthBytes: number; offsetBytes: number; isPad: boolean }[],
  multiFile: boolean,
  name: string,
  pieceLength: number,
  has: (piece: number) => boolean,
): Record<string, unknown>[] {
  return files.flatMap((f, index) => {
    if (f.isPad) return [];
    const first = Math.floor(f.offsetBytes / pieceLength);
    const last = f.lengthBytes === 0 ? first : Math.floor((f.offsetBytes + f.lengthBytes - 1) / pieceLength);
    let done = 0;
    for (let p = first; p <= last; p++) if (has(p)) done++;
    const progress = f.lengthBytes === 0 ? 1 : done / (last - first + 1);
    return [{ index, name: multiFile ? [name, ...f.path].join("/") : name, size: f.lengthBytes, progress, priority: 1, is_seed: progress === 1, piece_range: [first, last], availability: -1 }];
  });
}
