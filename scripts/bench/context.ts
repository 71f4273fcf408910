// What every group of benchmark rows shares: the run's settings and work directory (Bench), the torrents
// it made (Torrent, createTorrent), and small helpers (sizes, stderr notes, a row's run that may fail).

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Tools } from "./clients.ts";
import { run, type Sample } from "./measure.ts";
import { type Row } from "./report.ts";

export const MiB = 1024 * 1024;

/** One bench run: dist/ripple, the tools found, the work directory and where each child's log goes. */
export interface Bench {
  ripple: string;
  tools: Tools;
  /** Runs per download/hash row. */
  runs: number;
  /** The single-file payload's size in bytes. */
  sizeBytes: number;
  /** The temporary directory: logs/, out/ (downloads), seed/ (the payloads). */
  work: string;
  seedDir: string;
  /** A fresh, numbered log file path under work/logs for `name`. */
  logPath(name: string): string;
}

export interface Torrent {
  path: string;
  infoHash: string;
  /** `<dataDir>/<name>` is the data. */
  name: string;
  bytes: number;
  pieceLength: number;
  label: string;
}

/** The payloads the rows share: the single file, its torrent and the tree's, and the tracker's URL. */
export interface Payloads {
  singleFile: string;
  single: Torrent;
  tree: Torrent;
  announce: string;
  /** Lets the tracker serve a torrent made later (opentracker whitelists). */
  allow(hash: string): Promise<void>;
}

export const human = (bytes: number): string => (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0 ? `${bytes / 1024 / MiB} GiB` : `${(bytes / MiB).toFixed(0)} MiB`);
export const errorLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
export const note = (text: string): void => void process.stderr.write(`${text}\n`);

export async function createTorrent(b: Bench, source: string, out: string, announce: string, label: string, pieceLength?: string): Promise<Torrent> {
  const args = [b.ripple, "create", source, "-o", out, "--no-date", "--json", "-t", announce, ...(pieceLength ? ["--piece-length", pieceLength] : [])];
  const log = await run(args, { name: "ripple create", logPath: b.logPath("create") });
  const done = log.split("\n").filter((l) => l.includes('"event":"done"'))[0];
  if (done === undefined) throw new Error(`ripple create printed no done event\n${log}`);
  const e = JSON.parse(done) as { infoHash: string; name: string; totalBytes: number; pieceLength: number };
  return { path: out, infoHash: e.infoHash, name: e.name, bytes: e.totalBytes, pieceLength: e.pieceLength, label };
}

/** Runs `what` once and adds its sample to `row`, or notes the failure on the row. */
export async function tryPush(row: Row, what: () => Promise<Sample>): Promise<void> {
  try {
    const sample = await what();
    row.samples.push(sample);
    note(`  ${row.what}${row.seeder ? ` <- ${row.seeder}` : ""}: ${sample.seconds.toFixed(2)} s`);
  } catch (error) {
    row.error = errorLine(error);
    note(`  ${row.what}: FAILED ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Sum of file sizes under a path (a file or a directory). */
export async function bytesUnder(path: string): Promise<number> {
  const st = await stat(path);
  if (!st.isDirectory()) return st.size;
  let sum = 0;
  for (const entry of await readdir(path)) sum += await bytesUnder(join(path, entry));
  return sum;
}
