// The daemon's queue rules (qBittorrent's): queue order, which torrents may run now, moving torrents to
// the top or bottom, and the seeding limits that take a finished one out. Pure: daemon.ts applies them.

import type { Entry } from "./entry.ts";
import type { TorrentView } from "./qbt-map.ts";
import type { TorrentRecord } from "./state-store.ts";

/** Entries in queue order. */
export function queueOrder(entries: Iterable<Entry>): Entry[] {
  return [...entries].sort((a, b) => a.rec.queuePos - b.rec.queuePos);
}

/**
 * What each entry that may run should do, in queue order: every complete (or force-started) torrent
 * runs, and the first `maxActive` incomplete ones (-1 = no limit); the others wait. Stopped entries, and
 * those in error or missing their files, are left as they are.
 */
export function planQueue(ordered: readonly Entry[], maxActive: number): { entry: Entry; run: boolean }[] {
  let active = 0;
  const plan: { entry: Entry; run: boolean }[] = [];
  for (const e of ordered) {
    if (e.rec.stopped || e.phase === "error" || e.phase === "missingFiles") continue;
    const exempt = e.rec.complete || e.rec.forceStart === true;
    const run = exempt || maxActive < 0 || active < maxActive;
    if (run && !exempt) active++;
    plan.push({ entry: e, run });
  }
  return plan;
}

/** The queue position of a torrent added now: after every other. */
export function nextQueuePos(records: readonly TorrentRecord[]): number {
  return Math.max(0, ...records.map((r) => r.queuePos + 1));
}

/** Moves `picked` (in queue order) to the top or the bottom of the queue, keeping their order. */
export function moveInQueue(records: readonly TorrentRecord[], picked: readonly Entry[], to: "top" | "bottom"): void {
  const positions = records.map((r) => r.queuePos);
  const start = to === "top" ? Math.min(0, ...positions) - picked.length : Math.max(0, ...positions) + 1;
  picked.forEach((e, i) => (e.rec.queuePos = start + i));
}

/**
 * Which seeding limit a finished torrent has reached, if any. Limits are qBittorrent's: -2 = the global
 * one (`global`, minutes for the time), -1 = none.
 */
export function shareLimitReached(v: TorrentView, rec: TorrentRecord, global: { ratio?: number; seedingTimeMin?: number }): "ratio" | "time" | undefined {
  const ratio = rec.ratioLimit === -2 ? (global.ratio ?? -1) : rec.ratioLimit;
  const minutes = rec.seedingTimeLimit === -2 ? (global.seedingTimeMin ?? -1) : rec.seedingTimeLimit;
  if (ratio >= 0 && v.uploadedBytes >= ratio * Math.max(1, v.downloadedBytes || v.sizeBytes)) return "ratio";
  if (minutes >= 0 && v.seedingTimeSec >= minutes * 60) return "time";
  return undefined;
}
