// Download rows: ripple, libtorrent and aria2c each downloading the payloads from a libtorrent seeder and
// from a ripple seeder, rounds interleaving the clients (rotating who goes first) with the floor rows;
// optionally one ripple download from source under --cpu-prof-md.

import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { freePort } from "../../test/helpers/ports.ts";
import { type ManagedProcess } from "../../test/helpers/process.ts";
import { type ClientName, leecherArgv, startSeeder } from "./clients.ts";
import { type Bench, bytesUnder, note, type Payloads, type Torrent, tryPush } from "./context.ts";
import { type FloorRows, floorRound } from "./floor.ts";
import { measure, type Sample } from "./measure.ts";
import { rateMiBs, type Row, summary } from "./report.ts";

const ROOT = resolve(import.meta.dir, "..", "..");

export type SeederName = "libtorrent seeder" | "ripple seeder";

export interface DownloadRows {
  /** `client|torrent label|seeder` to its row. */
  byKey: Map<string, Row>;
  /** The same rows in the order first made: the table's order. */
  list: Row[];
  profile: Row;
}

export function downloadRows(b: Bench): DownloadRows {
  return { byKey: new Map(), list: [], profile: { what: "ripple download from source under --cpu-prof-md", bytes: b.sizeBytes, samples: [] } };
}

function rowFor(d: DownloadRows, client: ClientName, t: Torrent, seeder: string): Row {
  const key = `${client}|${t.label}|${seeder}`;
  let row = d.byKey.get(key);
  if (row === undefined) {
    row = { what: `${client} download, ${t.label}`, seeder, bytes: t.bytes, samples: [] };
    d.byKey.set(key, row);
    d.list.push(row);
  }
  return row;
}

/** `client`'s row for the single file from `seeder`, if it was measured. */
export function singleRow(d: DownloadRows, p: Payloads, client: ClientName, seeder: SeederName): Row | undefined {
  return d.byKey.get(`${client}|${p.single.label}|${seeder}`);
}

/** One download of `t` by `client` into a fresh directory, checked for size, then deleted. */
export async function download(b: Bench, client: ClientName, t: Torrent, seederPid: number | undefined, argv?: string[]): Promise<Sample> {
  const outDir = join(b.work, "out", client);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  try {
    const port = await freePort();
    const sample = await measure(argv?.concat(["-o", outDir, "--port", String(port)]) ?? leecherArgv(client, b.ripple, t.path, outDir, port), {
      name: `${client} leecher`,
      logPath: b.logPath(`${client}-leech`),
      timeoutMs: 600_000,
      seederPid,
    });
    const got = await bytesUnder(join(outDir, t.name));
    if (got !== t.bytes) throw new Error(`${client} left ${got} bytes of ${t.bytes} in ${outDir}/${t.name}`);
    return sample;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** One ripple download of the single file run from source under bun --cpu-prof-md, the profile into `profileDir`. */
async function profileRun(b: Bench, d: DownloadRows, p: Payloads, seederName: SeederName, seederPid: number | undefined, profileDir: string): Promise<void> {
  await mkdir(profileDir, { recursive: true });
  note(`profiling one ripple download from source into ${profileDir}...`);
  const argv = [process.execPath, "--cpu-prof-md", `--cpu-prof-dir=${profileDir}`, join(ROOT, "src/cli/main.ts"), "download", p.single.path, "--no-dht", "--no-utp", "--quiet"];
  d.profile.seeder = seederName;
  await tryPush(d.profile, () => download(b, "ripple", p.single, seederPid, argv));
}

/** `runs` rounds of every client downloading each of `torrents` from one seeder of `seederKind` per torrent. */
export async function downloadsFrom(b: Bench, d: DownloadRows, f: FloorRows, p: Payloads, seederKind: "libtorrent" | "ripple", torrents: Torrent[], profileDir?: string): Promise<void> {
  const clients: ClientName[] = ["ripple", ...(b.tools.libtorrent ? (["libtorrent"] as const) : []), ...(b.tools.aria2c ? (["aria2c"] as const) : [])];
  const seederName: SeederName = `${seederKind} seeder`;
  note(`downloads from a ${seederName}...`);
  const seeders = new Map<Torrent, ManagedProcess>();
  try {
    for (const t of torrents) seeders.set(t, await startSeeder(seederKind, b.ripple, t.path, b.seedDir, b.logPath(`${seederKind}-seed`), { port: await freePort() }));
    for (const t of torrents) for (const c of clients) rowFor(d, c, t, seederName);
    for (let r = 0; r < b.runs; r++) {
      await floorRound(b, f, p);
      for (const t of torrents) {
        for (let i = 0; i < clients.length; i++) {
          const c = clients[(i + r) % clients.length]!;
          await tryPush(rowFor(d, c, t, seederName), () => download(b, c, t, seeders.get(t)?.pid));
        }
      }
    }
    if (profileDir !== undefined && d.profile.samples.length === 0 && !d.profile.error) await profileRun(b, d, p, seederName, seeders.get(p.single)?.pid, profileDir);
  } finally {
    for (const s of seeders.values()) await s.stop();
  }
}

/** Ratio column of the download rows: speed against the TCP copy, ripple's wall against libtorrent's, and
 * each client's speed from the ripple seeder against the same client's from the libtorrent seeder. */
export function downloadRatios(d: DownloadRows, f: FloorRows, p: Payloads): void {
  const copyRate = rateMiBs(f.copy);
  const ltSingle = (c: ClientName) => singleRow(d, p, c, "libtorrent seeder");
  for (const [key, row] of d.byKey) {
    const rate = rateMiBs(row);
    const parts: string[] = [];
    if (rate !== undefined && copyRate !== undefined) parts.push(`${(rate / copyRate).toFixed(2)}x TCP copy`);
    const [client, , seeder] = key.split("|") as [ClientName, string, string];
    const lt = ltSingle("libtorrent");
    if (client === "ripple" && row === ltSingle("ripple") && lt && summary(lt) && summary(row)) parts.push(`wall ${(summary(row)!.seconds / summary(lt)!.seconds).toFixed(2)}x libtorrent's`);
    const base = ltSingle(client);
    if (seeder === "ripple seeder" && base && summary(base) && summary(row)) parts.push(`speed ${(summary(base)!.seconds / summary(row)!.seconds).toFixed(2)}x from libtorrent seeder`);
    row.ratio = parts.join(", ");
  }
}
