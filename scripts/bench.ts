// `bun run bench`: ripple side by side with libtorrent and aria2c, every number measured in this one run on
// 127.0.0.1 (DHT/LSD/PEX/UPnP/NAT-PMP/uTP off): downloads from a libtorrent seeder and from a ripple seeder,
// a loopback TCP-to-file copy as the floor, a 4 GiB download for peak memory, recheck/create against
// sha1sum/Bun.CryptoHasher/mktorrent, and start-up time. Prints Markdown and writes scripts/bench-results.md.
// Run: bun run bench [--size 512M] [--runs 3] [--big-size 4G|0] [--profile DIR]
// This file holds the options, the cleanup and the order of things; each group of rows is in scripts/bench/.

import { writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/helpers/ports.ts";
import { stopAllManaged } from "../test/helpers/process.ts";
import { startOpentracker } from "../test/helpers/real-peers.ts";
import { bigDownloadRow } from "./bench/big-download.ts";
import { detectTools, type Tools } from "./bench/clients.ts";
import { type Bench, createTorrent, human, MiB, note, type Payloads } from "./bench/context.ts";
import { downloadRatios, downloadRows, downloadsFrom } from "./bench/downloads.ts";
import { copySyncRuns, floorRatios, floorRows } from "./bench/floor.ts";
import { hashingRatios, hashingRows } from "./bench/hashing.ts";
import { startUntil } from "./bench/measure.ts";
import { writePseudoRandomFile, writeTree } from "./bench/payloads.ts";
import { type Row } from "./bench/report.ts";
import { resultsMarkdown } from "./bench/results.ts";
import { seedTwoRow } from "./bench/seed-two.ts";
import { startupRatio, startupRow } from "./bench/startup.ts";
import { targets } from "./bench/targets.ts";

const ROOT = resolve(import.meta.dir, "..");
// Loopback only: ripple's DHT is on by default and would look up the public routers. Every ripple command
// line here also says --no-dht; this covers anything that does not (children inherit the environment).
process.env.RIPPLE_DHT = "off";
const RESULTS = join(import.meta.dir, "bench-results.md");

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

// ---------------------------------------------------------------------------------------------------------
// Setup

/** Builds dist/ripple and makes the work directory (logs/, out/). */
async function prepare(tools: Tools): Promise<Bench> {
  note("building dist/ripple (bun run build)...");
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`bun run build failed:\n${build.stderr.toString()}`);
  work = await mkdtemp(join(tmpdir(), "ripple-bench-"));
  await mkdir(join(work, "logs"));
  await mkdir(join(work, "out"));
  let logSeq = 0;
  const logDir = join(work, "logs");
  const logPath = (name: string): string => join(logDir, `${String(++logSeq).padStart(3, "0")}-${name}.log`);
  return { ripple: join(ROOT, "dist", "ripple"), tools, runs, sizeBytes, work, seedDir: join(work, "seed"), logPath };
}

/** The single file and the tree, their torrents, and the tracker: opentracker (whitelisting our hashes) or `ripple tracker`. */
async function preparePayloads(b: Bench): Promise<{ payloads: Payloads; trackerKind: string }> {
  note(`generating ${human(sizeBytes)} file and a ${human(Math.max(8 * MiB, sizeBytes / 4))} tree in ${b.work}...`);
  const singleFile = join(b.seedDir, "bench.bin");
  writePseudoRandomFile(singleFile, sizeBytes, 1);
  writeTree(join(b.seedDir, "tree"), Math.max(8 * MiB, Math.floor(sizeBytes / 4)));
  // Flush the new data now, so its writeback does not land in the middle of a measurement.
  Bun.spawnSync(["sync"]);

  const trackerPort = await freePort({ udp: true });
  const announce = `http://127.0.0.1:${trackerPort}/announce`;
  const single = await createTorrent(b, singleFile, join(b.work, "single.torrent"), announce, `${human(sizeBytes)} file`, "256K");
  const tree = await createTorrent(b, join(b.seedDir, "tree"), join(b.work, "tree.torrent"), announce, "", "256K");
  tree.label = `tree ${human(tree.bytes)}, 33 files`;

  if (b.tools.opentracker) {
    const t = await startOpentracker({ port: trackerPort, infoHashes: [single.infoHash, tree.infoHash] });
    return { payloads: { singleFile, single, tree, announce, allow: (hash) => t.allow(hash) }, trackerKind: "opentracker" };
  }
  await startUntil([b.ripple, "tracker", "--port", String(trackerPort), "--json"], { name: "ripple tracker", logPath: b.logPath("tracker"), readyText: '"event":"listening"', timeoutMs: 10_000 });
  return { payloads: { singleFile, single, tree, announce, allow: async () => {} }, trackerKind: "ripple tracker" };
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const tools = detectTools();
  for (const m of tools.missing) note(`missing: ${m}`);
  const b = await prepare(tools);
  const started = performance.now();

  const startup = await startupRow(b.ripple);
  const { payloads: p, trackerKind } = await preparePayloads(b);
  const hashing = await hashingRows(b, p);
  const floor = floorRows(b);
  const downloads = downloadRows(b);
  if (tools.libtorrent) await downloadsFrom(b, downloads, floor, p, "libtorrent", [p.single, p.tree], profileDir);
  await downloadsFrom(b, downloads, floor, p, "ripple", [p.single], profileDir);
  await copySyncRuns(b, floor, p);
  const seedTwo = await seedTwoRow(b, p);
  const big = await bigDownloadRow(b, p, bigBytes);

  downloadRatios(downloads, floor, p);
  hashingRatios(hashing);
  floorRatios(floor);
  startupRatio(startup);

  const { copy, copySync, floor: floorRow } = floor;
  const { hasher, sha1sum, verify, create, mktorrent } = hashing;
  const table: Row[] = [copy, copySync, floorRow, ...downloads.list, seedTwo, ...(profileDir ? [downloads.profile] : []), ...(bigBytes > 0 ? [big] : []), hasher, sha1sum, verify, create, mktorrent, startup].filter(
    (r) => r.samples.length > 0 || r.error !== undefined,
  );
  const md = resultsMarkdown({
    started,
    tools,
    trackerKind,
    sizeBytes,
    treeBytes: p.tree.bytes,
    bigBytes,
    runs,
    table,
    targets: targets({ downloads, floor, hashing, seedTwo, big, startup }, p, sizeBytes, bigBytes),
  });
  writeFileSync(RESULTS, md);
  console.log(`\n${md}`);
  note(`written to ${RESULTS}`);
}

try {
  await main();
} finally {
  await cleanup();
}
