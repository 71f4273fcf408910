// The targets table: ripple's goals (speed, CPU, memory, hashing, start-up) checked against the rows
// measured in this run.

import { type Payloads, human } from "./context.ts";
import { type DownloadRows, singleRow } from "./downloads.ts";
import { type FloorRows } from "./floor.ts";
import { type HashRows } from "./hashing.ts";
import { type Sample } from "./measure.ts";
import { rateMiBs, type Row, summary, type Target } from "./report.ts";

/** Every row the targets read. */
export interface MeasuredRows {
  downloads: DownloadRows;
  floor: FloorRows;
  hashing: HashRows;
  seedTwo: Row;
  big: Row;
  startup: Row;
}

type Show = (v: number, l: number) => string;
type Ok = (v: number, l: number) => boolean;

const m = (r: Row | undefined) => (r ? summary(r) : undefined);
const seconds: Show = (v, l) => `${v.toFixed(2)} s vs ${l.toFixed(2)} s = ${(v / l).toFixed(2)}x`;
const percent: Show = (v, l) => `${v.toFixed(0)} vs ${l.toFixed(0)} MiB/s = ${((100 * v) / l).toFixed(0)}%`;
const both = (x: Sample | undefined) => (x?.cpuSeconds !== undefined && x.seederCpuSeconds !== undefined ? x.cpuSeconds + x.seederCpuSeconds : undefined);

function compare(targets: Target[]) {
  return (name: string, value: number | undefined, limit: number | undefined, show: Show, ok: Ok): void => {
    targets.push(value === undefined || limit === undefined ? { name, measured: "not measured", met: undefined } : { name, measured: show(value, limit), met: ok(value, limit) });
  };
}

/** Downloads: wall time, speed against the TCP copy and CPU, ripple against libtorrent. */
function downloadTargets(cmp: ReturnType<typeof compare>, rows: MeasuredRows, p: Payloads): void {
  const ltSingle = (c: "ripple" | "libtorrent") => singleRow(rows.downloads, p, c, "libtorrent seeder");
  const rp = m(ltSingle("ripple"));
  const lt = m(ltSingle("libtorrent"));
  cmp("ripple wall time <= 0.8x libtorrent's", rp?.seconds, lt?.seconds, seconds, (v, l) => v <= 0.8 * l);
  const rpRate = ltSingle("ripple") ? rateMiBs(ltSingle("ripple")!) : undefined;
  cmp("ripple >= 70% of the loopback TCP-to-file copy", rpRate, rateMiBs(rows.floor.copy), percent, (v, l) => v >= 0.7 * l);
  cmp("ripple download CPU <= 0.65x libtorrent's (same transfer)", rp?.cpuSeconds, lt?.cpuSeconds, seconds, (v, l) => v <= 0.65 * l);
  // Both sides the same client: the co-located seeder's CPU counts too.
  const rr = m(singleRow(rows.downloads, p, "ripple", "ripple seeder"));
  const ll = lt;
  cmp("ripple -> ripple wall <= 0.8x libtorrent -> libtorrent", rr?.seconds, ll?.seconds, seconds, (v, l) => v <= 0.8 * l);
  cmp("ripple -> ripple CPU (leecher + seeder) <= 0.65x libtorrent -> libtorrent", both(rr), both(ll), seconds, (v, l) => v <= 0.65 * l);
}

/** Peak RSS of ripple downloading the single file and the big one, and seeding to two. */
function memoryTargets(cmp: ReturnType<typeof compare>, rows: MeasuredRows, p: Payloads, sizeBytes: number, bigBytes: number): void {
  const rssOf = (s: Sample | undefined) => s?.peakRssMiB;
  const floorRss = rssOf(m(rows.floor.floor));
  const rssText = (v: number) => `${v.toFixed(0)} MiB${floorRss === undefined ? "" : ` (Bun floor ${floorRss.toFixed(0)} MiB)`}`;
  const rp = m(singleRow(rows.downloads, p, "ripple", "libtorrent seeder"));
  cmp(`ripple peak RSS <= 64 MiB, ${human(sizeBytes)} download`, rssOf(rp ?? m(singleRow(rows.downloads, p, "ripple", "ripple seeder"))), 64, rssText, (v, l) => v <= l);
  if (bigBytes > 0) cmp(`ripple peak RSS <= 64 MiB, ${human(bigBytes)} download`, rssOf(m(rows.big)), 64, rssText, (v, l) => v <= l);
  cmp(`ripple peak RSS <= 64 MiB, seeding ${human(sizeBytes)} to two leechers`, rssOf(m(rows.seedTwo)), 64, rssText, (v, l) => v <= l);
}

export function targets(rows: MeasuredRows, p: Payloads, sizeBytes: number, bigBytes: number): Target[] {
  const list: Target[] = [];
  const cmp = compare(list);
  const { verify, hasher, create, mktorrent } = rows.hashing;
  downloadTargets(cmp, rows, p);
  memoryTargets(cmp, rows, p, sizeBytes, bigBytes);
  cmp("recheck >= 90% of Bun.CryptoHasher SHA-1 (cached file)", rateMiBs(verify), rateMiBs(hasher), percent, (v, l) => v >= 0.9 * l);
  cmp("`ripple create` faster than mktorrent", m(create)?.seconds, m(mktorrent)?.seconds, (v, l) => `${v.toFixed(2)} s vs ${l.toFixed(2)} s`, (v, l) => v < l);
  for (const c of ["aria2c", "libtorrent"] as const) {
    const fromRipple = m(singleRow(rows.downloads, p, c, "ripple seeder"))?.seconds;
    cmp(`${c} downloads from a ripple seeder at least as fast as from a libtorrent seeder`, fromRipple, m(singleRow(rows.downloads, p, c, "libtorrent seeder"))?.seconds, (v, l) => `${v.toFixed(2)} s vs ${l.toFixed(2)} s`, (v, l) => v <= l);
  }
  cmp("`ripple --version` median <= 30 ms", m(rows.startup) ? m(rows.startup)!.seconds * 1000 : undefined, 30, (v) => `${v.toFixed(1)} ms`, (v, l) => v <= l);
  return list;
}
