// `bun run bench`: ripple side by side with libtorrent and aria2c, every number measured in this one run on
// 127.0.0.1 (DHT/LSD/PEX/UPnP/NAT-PMP/uTP off): downloads from a libtorrent seeder and from a ripple seeder,
// a loopback TCP-to-file copy as the floor, a 4 GiB download for peak memory, recheck/create against
// sha1sum/Bun.CryptoHasher/mktorrent, and start-up time. Prints Markdown and writes scripts/bench-results.md.
// Run: bun run bench [--size 512M] [--runs 3] [--big-size 4G|0] [--profile DIR]

import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { cpus, release, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/helpers/ports.ts";
import { type ManagedProcess, spawnManaged, stopAllManaged, waitFor } from "../test/helpers/process.ts";
import { startOpentracker } from "../test/helpers/real-peers.ts";
import { type ClientName, detectTools, leecherArgv, startSeeder, type Tools } from "./bench/clients.ts";
import { measure, run, type Sample, startUntil } from "./bench/measure.ts";
import { writePatternFile, writePseudoRandomFile, writeTree } from "./bench/payloads.ts";
import { compileFloor, seedToTwo } from "./bench/lean.ts";
import { rateMiBs, renderTable, renderTargets, type Row, summary, type Target } from "./bench/report.ts";

const ROOT = resolve(import.meta.dir, "..");
// Loopback only: ripple's DHT is on by default and would look up the public routers. Every ripple command
// line here also says --no-dht; this covers anything that does not (children inherit the environment).
process.env.RIPPLE_DHT = "off";
const RESULTS = join(import.meta.dir, "bench-results.md");
const TCP_COPY = join(import.meta.dir, "bench", "tcp-copy.ts");
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Options

const { values: opts } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    size: { type: "string", default: "512M" },
    runs: { type: "string", default: "3" },
    "big-size": { type: "string", default: "4G" },
    profile: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});
if (opts.help) {
  console.log(`usage: bun run bench [--size 512M] [--runs 3] [--big-size 4G|0] [--profile DIR]
  --size      single-file payload (K/M/G; a plain number is MiB); the tree is a quarter of it
  --runs      runs per download/hash row; the table shows medians
  --big-size  the large torrent for the memory check (0 skips it)
  --profile   also run one ripple download from source under bun --cpu-prof-md, profile into DIR`);
  process.exit(0);
}

/** "512M", "4G", "100K" or a plain number of MiB, to bytes. */
function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`bad size: ${text} (e.g. 512M, 4G)`);
  const unit = { "": MiB, K: 1024, M: MiB, G: 1024 * MiB }[m[2]!.toUpperCase()] ?? MiB;
  return Math.round(Number(m[1]) * unit);
}

const sizeBytes = parseSize(opts.size);
const bigBytes = opts["big-size"] === "0" ? 0 : parseSize(opts["big-size"]);
const runs = Math.max(1, Number.parseInt(opts.runs, 10) || 1);
const profileDir = opts.profile === undefined ? undefined : resolve(opts.profile);
const human = (bytes: number): string => (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0 ? `${bytes / 1024 / MiB} GiB` : `${(bytes / MiB).toFixed(0)} MiB`);

// ---------------------------------------------------------------------------------------------------------
// Cleanup: every child runs in its own process group (stopAllManaged kills the groups); the work dir goes.

let work: string | undefined;
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAllManaged();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the children and removing ${work ?? "nothing"}`);
    void cleanup().finally(() => process.exit(code));
  });
}

let logSeq = 0;
const logPath = (name: string): string => join(work!, "logs", `${String(++logSeq).padStart(3, "0")}-${name}.log`);
const errorLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
const note = (text: string): void => void process.stderr.write(`${text}\n`);

/**
 * On a VM with free page reporting, memory freed is handed back to the host and its next first touch is a
 * host page fault: writing data no process touched lately costs far more system time (page cache, fresh
 * buffers) than the same write a moment later. Says so under the table when this machine does it.
 */
function pageReportingNote(): string[] {
  try {
    const order = readFileSync("/sys/module/page_reporting/parameters/page_reporting_order", "utf8").trim();
    return [
      `- This machine is a VM with free page reporting (order ${order}): freed memory goes back to the host, and touching it again is a host page fault. Every row that writes 512 MiB pays that at random (the TCP copy's spread shows it); the 4 GiB row pays it for most of its system time.`,
    ];
  } catch {
    return [];
  }
}

/** Sum of file sizes under a path (a file or a directory). */
async function bytesUnder(path: string): Promise<number> {
  const st = await stat(path);
  if (!st.isDirectory()) return st.size;
  let sum = 0;
  for (const entry of await readdir(path)) sum += await bytesUnder(join(path, entry));
  return sum;
}

// ---------------------------------------------------------------------------------------------------------
// Measurements

interface Torrent {
  path: string;
  infoHash: string;
  /** `<dataDir>/<name>` is the data. */
  name: string;
  bytes: number;
  pieceLength: number;
  label: string;
}

async function createTorrent(ripple: string, source: string, out: string, announce: string, label: string, pieceLength?: string): Promise<Torrent> {
  const args = [ripple, "create", source, "-o", out, "--no-date", "--json", "-t", announce, ...(pieceLength ? ["--piece-length", pieceLength] : [])];
  const log = await run(args, { name: "ripple create", logPath: logPath("create") });
  const done = log.split("\n").filter((l) => l.includes('"event":"done"'))[0];
  if (done === undefined) throw new Error(`ripple create printed no done event\n${log}`);
  const e = JSON.parse(done) as { infoHash: string; name: string; totalBytes: number; pieceLength: number };
  return { path: out, infoHash: e.infoHash, name: e.name, bytes: e.totalBytes, pieceLength: e.pieceLength, label };
}

/** `ripple --version` start-up: plain spawns (no poller, no wrapper), one warm-up then 11. */
async function startupRow(ripple: string): Promise<Row> {
  const row: Row = { what: "`ripple --version` start-up", bytes: 0, samples: [] };
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    const proc = Bun.spawn([ripple, "--version"], { stdout: "ignore", stderr: "ignore" });
    await proc.exited;
    const seconds = (performance.now() - t0) / 1000;
    const usage = proc.resourceUsage();
    if (i > 0) {
      row.samples.push({
        seconds,
        cpuSeconds: usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : undefined,
        sysSeconds: usage ? Number(usage.cpuTime.system) / 1e6 : undefined,
      });
    }
  }
  return row;
}

/** SHA-1 of a file in this process: 4 MiB reads into Bun.CryptoHasher, the raw speed a recheck can reach. */
function hashInProcess(path: string): Sample {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const fd = openSync(path, "r");
  const buffer = new Uint8Array(4 * MiB);
  const hasher = new Bun.CryptoHasher("sha1");
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hasher.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  hasher.digest();
  const cpu = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, sysSeconds: cpu.system / 1e6 };
}

async function tryPush(row: Row, what: () => Promise<Sample>): Promise<void> {
  try {
    const sample = await what();
    row.samples.push(sample);
    note(`  ${row.what}${row.seeder ? ` <- ${row.seeder}` : ""}: ${sample.seconds.toFixed(2)} s`);
  } catch (error) {
    row.error = errorLine(error);
    note(`  ${row.what}: FAILED ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * One loopback TCP-to-file copy of `file`: wall time of the receiver (start to file closed). `receiver`:
 * the program that runs tcp-copy.ts's `recv` (default bun on the source; the floor row a compiled copy).
 */
async function tcpCopy(file: string, fsync: boolean, receiver: string[] = [process.execPath, TCP_COPY], extra: string[] = []): Promise<Sample> {
  const out = join(work!, "out", "copy.bin");
  let sender: ManagedProcess | undefined;
  try {
    const sample = await measure([...receiver, "recv", out, ...(fsync ? ["--fsync"] : []), ...extra], {
      name: "tcp copy receiver",
      logPath: logPath("tcp-recv"),
      timeoutMs: 300_000,
      started: async (p) => {
        let port = "";
        await waitFor(() => ((port = /listening (\d+)/.exec(p.log())?.[1] ?? ""), port !== ""), { what: "the tcp copy receiver to listen", logs: () => p.logTail() });
        sender = await spawnManaged([process.execPath, TCP_COPY, "send", port, file], { name: "tcp copy sender", logPath: logPath("tcp-send") });
      },
    });
    await sender?.exited;
    const usage = sender?.proc.resourceUsage();
    if (statSync(out).size !== statSync(file).size) throw new Error("tcp copy: the copy is short");
    return { ...sample, seederCpuSeconds: usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : undefined };
  } finally {
    await sender?.stop();
    await rm(out, { force: true });
  }
}

/** One download of `t` by `client` into a fresh directory, checked for size, then deleted. */
async function download(ripple: string, client: ClientName, t: Torrent, seederPid: number | undefined, argv?: string[]): Promise<Sample> {
  const outDir = join(work!, "out", client);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  try {
    const port = await freePort();
    const sample = await measure(argv?.concat(["-o", outDir, "--port", String(port)]) ?? leecherArgv(client, ripple, t.path, outDir, port), {
      name: `${client} leecher`,
      logPath: logPath(`${client}-leech`),
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

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const tools: Tools = detectTools();
  for (const m of tools.missing) note(`missing: ${m}`);
  const clients: ClientName[] = ["ripple", ...(tools.libtorrent ? (["libtorrent"] as const) : []), ...(tools.aria2c ? (["aria2c"] as const) : [])];

  note("building dist/ripple (bun run build)...");
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`bun run build failed:\n${build.stderr.toString()}`);
  const ripple = join(ROOT, "dist", "ripple");

  work = await mkdtemp(join(tmpdir(), "ripple-bench-"));
  await mkdir(join(work, "logs"));
  await mkdir(join(work, "out"));
  const seedDir = join(work, "seed");
  const started = performance.now();

  const rows: Row[] = [];
  const startup = await startupRow(ripple);

  note(`generating ${human(sizeBytes)} file and a ${human(Math.max(8 * MiB, sizeBytes / 4))} tree in ${work}...`);
  const singleFile = join(seedDir, "bench.bin");
  writePseudoRandomFile(singleFile, sizeBytes, 1);
  writeTree(join(seedDir, "tree"), Math.max(8 * MiB, Math.floor(sizeBytes / 4)));
  // Flush the new data now, so its writeback does not land in the middle of a measurement.
  Bun.spawnSync(["sync"]);

  const trackerPort = await freePort({ udp: true });
  const announce = `http://127.0.0.1:${trackerPort}/announce`;
  const single = await createTorrent(ripple, singleFile, join(work, "single.torrent"), announce, `${human(sizeBytes)} file`, "256K");
  const tree = await createTorrent(ripple, join(seedDir, "tree"), join(work, "tree.torrent"), announce, "", "256K");
  tree.label = `tree ${human(tree.bytes)}, 33 files`;

  // The tracker: opentracker (whitelisting our hashes) or `ripple tracker`.
  let allow: (hash: string) => Promise<void>;
  let trackerKind: string;
  if (tools.opentracker) {
    const t = await startOpentracker({ port: trackerPort, infoHashes: [single.infoHash, tree.infoHash] });
    allow = (hash) => t.allow(hash);
    trackerKind = "opentracker";
  } else {
    await startUntil([ripple, "tracker", "--port", String(trackerPort), "--json"], { name: "ripple tracker", logPath: logPath("tracker"), readyText: '"event":"listening"', timeoutMs: 10_000 });
    allow = async () => {};
    trackerKind = "ripple tracker";
  }

  // Hashing on the cached single file: recheck and create against sha1sum, CryptoHasher and mktorrent.
  note("hashing: recheck and create...");
  const sha1sum: Row = { what: "sha1sum", bytes: sizeBytes, samples: [] };
  const hasher: Row = { what: "Bun.CryptoHasher SHA-1 (in process)", bytes: sizeBytes, samples: [] };
  const verify: Row = { what: "`ripple verify` (recheck)", bytes: sizeBytes, samples: [] };
  const create: Row = { what: "`ripple create`, 256 KiB pieces", bytes: sizeBytes, samples: [] };
  const mktorrent: Row = { what: `mktorrent -l 18 (${cpus().length} threads)`, bytes: sizeBytes, samples: [] };
  const scratch = join(work, "scratch.torrent");
  for (let r = 0; r < runs; r++) {
    if (tools.sha1sum) await tryPush(sha1sum, () => measure(["sha1sum", singleFile], { name: "sha1sum", logPath: logPath("sha1sum"), timeoutMs: 300_000 }));
    await tryPush(hasher, async () => hashInProcess(singleFile));
    await tryPush(verify, () => measure([ripple, "verify", single.path, "-o", seedDir, "--quiet"], { name: "ripple verify", logPath: logPath("verify"), timeoutMs: 300_000 }));
    await tryPush(create, () =>
      measure([ripple, "create", singleFile, "-o", scratch, "--piece-length", "256K", "--no-date", "--force", "--quiet", "-t", announce], { name: "ripple create", logPath: logPath("create"), timeoutMs: 300_000 }),
    );
    if (tools.mktorrent) {
      await rm(scratch, { force: true }); // mktorrent refuses to overwrite
      await tryPush(mktorrent, () => measure(["mktorrent", "-d", "-l", "18", "-a", announce, "-o", scratch, singleFile], { name: "mktorrent", logPath: logPath("mktorrent"), timeoutMs: 300_000 }));
    }
  }

  // Downloads: rounds interleave the clients (rotating who goes first) and the TCP copy reference.
  const copy: Row = { what: "loopback TCP-to-file copy (reference)", seeder: "Bun sender", bytes: sizeBytes, samples: [] };
  const copySync: Row = { what: "loopback TCP-to-file copy + fdatasync", seeder: "Bun sender", bytes: sizeBytes, samples: [] };
  const floor: Row = { what: "Bun floor: the copy compiled, + SHA-1 per piece", seeder: "Bun sender", bytes: sizeBytes, samples: [] };
  let floorBin: string | undefined;
  try {
    floorBin = compileFloor(join(work, "floor-recv"));
  } catch (error) {
    floor.error = errorLine(error);
  }
  const dlRows = new Map<string, Row>();
  const rowFor = (client: ClientName, t: Torrent, seeder: string): Row => {
    const key = `${client}|${t.label}|${seeder}`;
    let row = dlRows.get(key);
    if (row === undefined) {
      row = { what: `${client} download, ${t.label}`, seeder, bytes: t.bytes, samples: [] };
      dlRows.set(key, row);
      rows.push(row);
    }
    return row;
  };
  const profileRow: Row = { what: "ripple download from source under --cpu-prof-md", bytes: sizeBytes, samples: [] };

  const phase = async (seederKind: "libtorrent" | "ripple", torrents: Torrent[]): Promise<void> => {
    const seederName = `${seederKind} seeder`;
    note(`downloads from a ${seederName}...`);
    const seeders = new Map<Torrent, ManagedProcess>();
    try {
      for (const t of torrents) seeders.set(t, await startSeeder(seederKind, ripple, t.path, seedDir, logPath(`${seederKind}-seed`), { port: await freePort() }));
      for (const t of torrents) for (const c of clients) rowFor(c, t, seederName);
      for (let r = 0; r < runs; r++) {
        await tryPush(copy, () => tcpCopy(singleFile, false));
        if (floorBin) await tryPush(floor, () => tcpCopy(singleFile, false, [floorBin], ["--sha1", String(single.pieceLength)]));
        for (const t of torrents) {
          for (let i = 0; i < clients.length; i++) {
            const c = clients[(i + r) % clients.length]!;
            await tryPush(rowFor(c, t, seederName), () => download(ripple, c, t, seeders.get(t)?.pid));
          }
        }
      }
      if (profileDir !== undefined && profileRow.samples.length === 0 && !profileRow.error) {
        await mkdir(profileDir, { recursive: true });
        note(`profiling one ripple download from source into ${profileDir}...`);
        const argv = [process.execPath, "--cpu-prof-md", `--cpu-prof-dir=${profileDir}`, join(ROOT, "src/cli/main.ts"), "download", single.path, "--no-dht", "--quiet"];
        profileRow.seeder = seederName;
        await tryPush(profileRow, () => download(ripple, "ripple", single, seeders.get(single)?.pid, argv));
      }
    } finally {
      for (const s of seeders.values()) await s.stop();
    }
  };
  if (tools.libtorrent) await phase("libtorrent", [single, tree]);
  await phase("ripple", [single]);
  for (let r = 0; r < runs; r++) await tryPush(copySync, () => tcpCopy(singleFile, true));

  // A ripple seeder serving the single file to two leechers at once (a fresh seeder per run: its VmHWM is the run's).
  const twoClient: ClientName = tools.libtorrent ? "libtorrent" : "ripple";
  const seedTwo: Row = { what: `ripple seeding, ${single.label} to two ${twoClient} leechers at once (seeder's figures)`, seeder: "ripple seeder", bytes: 2 * sizeBytes, samples: [] };
  note(`seeding to two ${twoClient} leechers at once...`);
  for (let r = 0; r < runs; r++) {
    const dirs = [join(work, "out", "two-1"), join(work, "out", "two-2")];
    let seeder: ManagedProcess | undefined;
    try {
      seeder = await startSeeder("ripple", ripple, single.path, seedDir, logPath("ripple-seed-two"), { port: await freePort() });
      const argvs = (await Promise.all(dirs.map(async (d) => (await mkdir(d, { recursive: true }), leecherArgv(twoClient, ripple, single.path, d, await freePort()))))) as [string[], string[]];
      await tryPush(seedTwo, async () => {
        const sample = await seedToTwo(seeder!, argvs, logPath);
        for (const d of dirs) if ((await bytesUnder(join(d, single.name))) !== single.bytes) throw new Error(`a leecher left ${d} incomplete`);
        return sample;
      });
    } catch (error) {
      seedTwo.error = errorLine(error);
    } finally {
      await seeder?.stop();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    }
  }

  // Peak memory on a large torrent.
  const bigRow: Row = { what: `ripple download, ${human(bigBytes)} file`, bytes: bigBytes, samples: [] };
  if (bigBytes > 0) {
    note(`generating the ${human(bigBytes)} file...`);
    const bigDir = join(work, "big");
    writePatternFile(join(bigDir, "bench-big.bin"), bigBytes);
    const big = await createTorrent(ripple, join(bigDir, "bench-big.bin"), join(work, "big.torrent"), announce, `${human(bigBytes)} file`);
    bigRow.what += `, ${big.pieceLength >= MiB ? `${big.pieceLength / MiB} MiB` : `${big.pieceLength / 1024} KiB`} pieces`;
    await allow(big.infoHash);
    const kind = tools.libtorrent ? "libtorrent" : "ripple";
    bigRow.seeder = `${kind} seeder`;
    note(`downloading it with ripple from a ${kind} seeder...`);
    let seeder: ManagedProcess | undefined;
    try {
      seeder = await startSeeder(kind, ripple, big.path, bigDir, logPath(`${kind}-seed-big`), { port: await freePort(), trustData: true });
      await tryPush(bigRow, () => download(ripple, "ripple", big, seeder?.pid));
    } catch (error) {
      bigRow.error = errorLine(error);
    } finally {
      await seeder?.stop();
      await rm(bigDir, { recursive: true, force: true });
    }
  }

  // Ratios.
  const copyRate = rateMiBs(copy);
  const ltSingle = (c: ClientName) => dlRows.get(`${c}|${single.label}|libtorrent seeder`);
  const rpSingle = (c: ClientName) => dlRows.get(`${c}|${single.label}|ripple seeder`);
  for (const [key, row] of dlRows) {
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
  const hashRate = rateMiBs(hasher);
  for (const r of [sha1sum, hasher, verify, create, mktorrent]) {
    const rate = rateMiBs(r);
    if (rate !== undefined && hashRate !== undefined) r.ratio = `${(rate / hashRate).toFixed(2)}x CryptoHasher`;
  }
  if (summary(create) && summary(mktorrent)) create.ratio += `, ${(summary(mktorrent)!.seconds / summary(create)!.seconds).toFixed(2)}x mktorrent's speed`;
  if (copyRate !== undefined && rateMiBs(copySync) !== undefined) copySync.ratio = `${(rateMiBs(copySync)! / copyRate).toFixed(2)}x TCP copy`;
  if (copyRate !== undefined && rateMiBs(floor) !== undefined) floor.ratio = `${(rateMiBs(floor)! / copyRate).toFixed(2)}x TCP copy`;
  startup.ratio = summary(startup) ? `median ${(summary(startup)!.seconds * 1000).toFixed(1)} ms` : "";

  const table: Row[] = [copy, copySync, floor, ...rows, seedTwo, ...(profileDir ? [profileRow] : []), ...(bigBytes > 0 ? [bigRow] : []), hasher, sha1sum, verify, create, mktorrent, startup].filter(
    (r) => r.samples.length > 0 || r.error !== undefined,
  );

  // Targets.
  const m = (r: Row | undefined) => (r ? summary(r) : undefined);
  const rp = m(ltSingle("ripple"));
  const lt = m(ltSingle("libtorrent"));
  const targets: Target[] = [];
  const cmp = (name: string, value: number | undefined, limit: number | undefined, show: (v: number, l: number) => string, ok: (v: number, l: number) => boolean): void => {
    targets.push(value === undefined || limit === undefined ? { name, measured: "not measured", met: undefined } : { name, measured: show(value, limit), met: ok(value, limit) });
  };
  cmp("ripple wall time <= 0.8x libtorrent's", rp?.seconds, lt?.seconds, (v, l) => `${v.toFixed(2)} s vs ${l.toFixed(2)} s = ${(v / l).toFixed(2)}x`, (v, l) => v <= 0.8 * l);
  const rpRate = ltSingle("ripple") ? rateMiBs(ltSingle("ripple")!) : undefined;
  cmp("ripple >= 70% of the loopback TCP-to-file copy", rpRate, copyRate, (v, l) => `${v.toFixed(0)} vs ${l.toFixed(0)} MiB/s = ${((100 * v) / l).toFixed(0)}%`, (v, l) => v >= 0.7 * l);
  cmp("ripple download CPU <= 0.65x libtorrent's (same transfer)", rp?.cpuSeconds, lt?.cpuSeconds, (v, l) => `${v.toFixed(2)} s vs ${l.toFixed(2)} s = ${(v / l).toFixed(2)}x`, (v, l) => v <= 0.65 * l);
  // Both sides the same client: the co-located seeder's CPU counts too.
  const rr = m(rpSingle("ripple"));
  const ll = lt;
  cmp("ripple -> ripple wall <= 0.8x libtorrent -> libtorrent", rr?.seconds, ll?.seconds, (v, l) => `${v.toFixed(2)} s vs ${l.toFixed(2)} s = ${(v / l).toFixed(2)}x`, (v, l) => v <= 0.8 * l);
  const both = (x: Sample | undefined) => (x?.cpuSeconds !== undefined && x.seederCpuSeconds !== undefined ? x.cpuSeconds + x.seederCpuSeconds : undefined);
  cmp("ripple -> ripple CPU (leecher + seeder) <= 0.65x libtorrent -> libtorrent", both(rr), both(ll), (v, l) => `${v.toFixed(2)} s vs ${l.toFixed(2)} s = ${(v / l).toFixed(2)}x`, (v, l) => v <= 0.65 * l);
  const rssOf = (s: Sample | undefined) => s?.peakRssMiB;
  const floorRss = rssOf(m(floor));
  const rssText = (v: number) => `${v.toFixed(0)} MiB${floorRss === undefined ? "" : ` (Bun floor ${floorRss.toFixed(0)} MiB)`}`;
  cmp(`ripple peak RSS <= 64 MiB, ${human(sizeBytes)} download`, rssOf(rp ?? m(rpSingle("ripple"))), 64, rssText, (v, l) => v <= l);
  if (bigBytes > 0) cmp(`ripple peak RSS <= 64 MiB, ${human(bigBytes)} download`, rssOf(m(bigRow)), 64, rssText, (v, l) => v <= l);
  cmp(`ripple peak RSS <= 64 MiB, seeding ${human(sizeBytes)} to two leechers`, rssOf(m(seedTwo)), 64, rssText, (v, l) => v <= l);
  cmp("recheck >= 90% of Bun.CryptoHasher SHA-1 (cached file)", rateMiBs(verify), hashRate, (v, l) => `${v.toFixed(0)} vs ${l.toFixed(0)} MiB/s = ${((100 * v) / l).toFixed(0)}%`, (v, l) => v >= 0.9 * l);
  cmp("`ripple create` faster than mktorrent", m(create)?.seconds, m(mktorrent)?.seconds, (v, l) => `${v.toFixed(2)} s vs ${l.toFixed(2)} s`, (v, l) => v < l);
  for (const c of ["aria2c", "libtorrent"] as const) {
    cmp(`${c} downloads from a ripple seeder at least as fast as from a libtorrent seeder`, m(rpSingle(c))?.seconds, m(ltSingle(c))?.seconds, (v, l) => `${v.toFixed(2)} s vs ${l.toFixed(2)} s`, (v, l) => v <= l);
  }
  cmp("`ripple --version` median <= 30 ms", m(startup) ? m(startup)!.seconds * 1000 : undefined, 30, (v) => `${v.toFixed(1)} ms`, (v, l) => v <= l);

  // Report.
  const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT, stdout: "pipe", stderr: "ignore" }).stdout.toString().trim();
  const cpuModel = cpus()[0]?.model ?? "?";
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  const md = [
    "# ripple benchmark results",
    "",
    `Written by \`bun run bench\` (${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${minutes} min, commit ${commit || "?"}; overwritten each run).`,
    `Machine: ${cpuModel}, ${cpus().length} cores, Linux ${release()}, Bun ${Bun.version}. Peers: ripple (dist/ripple), libtorrent ${tools.libtorrent ?? "absent"} (python3-libtorrent), aria2c ${tools.aria2c ?? "absent"}; tracker: ${trackerKind}.`,
    `Payloads: a ${human(sizeBytes)} file and a ${human(tree.bytes)} tree of 33 files (256 KiB pieces), a ${bigBytes > 0 ? human(bigBytes) : "(skipped)"} file for memory; medians of ${runs} runs, clients interleaved.`,
    "All on 127.0.0.1, TCP only (uTP off), DHT/LSD/PEX/UPnP/NAT-PMP off. The machine is noisy: read the ratios, measured side by side, more than the absolute numbers.",
    ...tools.missing.map((m) => `- missing: ${m}`),
    "",
    renderTable(table),
    "",
    "- wall s: process start to exit (a leecher exits once the data is complete and verified; ripple also fdatasyncs it). MiB/s = payload / wall.",
    "- CPU s: the process's own user+system time (rusage), the system part in parentheses. Seeder CPU s: what the seeder (or the TCP sender) spent during that run.",
    "- Bun floor: tcp-copy.ts's receiver compiled with `bun build --compile` like dist/ripple, hashing each piece as it arrives and writing it: the least any Bun program spends on this download. Its peak RSS is the runtime's (code pages of the executable, the heap, Bun's fresh buffer per socket read).",
    "- seeding to two leechers: the seeder's figures (wall until both are done, its CPU, its VmHWM), a fresh seeder each run.",
    "- peak RSS: VmHWM polled every 20 ms; in parentheses the largest RssAnon seen. libtorrent 2 maps the torrent's files, so its VmHWM counts page-cache pages of the data.",
    "- libtorrent: default settings plus the loopback ones (uTP off), run from a small Python script (test/helpers/lt-peer.py, shared with the tests). The large-file seeder trusts its data (seed_mode) and hashes pieces as it first serves them, which shows in its CPU.",
    "- aria2c works on a 1 s tick: it dials the seeder about 1 s after the tracker's reply and exits about 1 s after the last piece, so some 2 s of each aria2c row is idle time.",
    ...pageReportingNote(),
    "",
    "## Targets",
    "",
    renderTargets(targets),
    "",
  ].join("\n");
  writeFileSync(RESULTS, md);
  console.log(`\n${md}`);
  note(`written to ${RESULTS}`);
}

try {
  await main();
} finally {
  await cleanup();
}
