// Measures how well --max-upload-rate and --max-download-rate hold: two ripple Clients on 127.0.0.1, one
// limited, transferring a generated torrent; prints the achieved rate over a 10 s window vs the limit.
// Run: bun run scripts/rate-limit.ts [limit, e.g. 2M] [windowSec]

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, type Metainfo, type Torrent } from "../src/index.ts";
import { rateOption } from "../src/cli/options.ts";
import { makePayload } from "./payload.ts";

const limit = rateOption("limit", process.argv[2] ?? "2M")!;
const windowSec = Number(process.argv[3] ?? 10);
const WARMUP_SEC = 2;
const PIECE = 256 * 1024;

/** Bytes counted by `read` over the window, after a warm-up. */
async function measure(read: () => number): Promise<number> {
  await Bun.sleep(WARMUP_SEC * 1000);
  const start = read();
  const t0 = performance.now();
  await Bun.sleep(windowSec * 1000);
  return ((read() - start) * 1000) / (performance.now() - t0);
}

async function run(direction: "upload" | "download", dir: string, meta: Metainfo): Promise<number> {
  const seeder = new Client({ port: 0, host: "127.0.0.1", maxUploadRate: direction === "upload" ? limit : undefined });
  const leecher = new Client({ port: 0, host: "127.0.0.1", maxDownloadRate: direction === "download" ? limit : undefined });
  try {
    const seeding = seeder.addTorrent(meta, { outDir: join(dir, "seed"), noTrackers: true });
    await new Promise((r) => seeding.on("ready", r));
    const out = join(dir, `leech-${direction}`);
    const leech: Torrent = leecher.addTorrent(meta, { outDir: out, peers: [{ host: "127.0.0.1", port: seeder.port }], noTrackers: true });
    return await measure(() => (direction === "upload" ? seeding.stats().uploadedBytes : leech.stats().downloadedBytes));
  } finally {
    await leecher.close();
    await seeder.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), "ripple-rate-"));
try {
  // Big enough that the window ends before the transfer does.
  const size = Math.ceil((limit * (windowSec + WARMUP_SEC + 5)) / PIECE) * PIECE;
  const { meta } = makePayload(dir, "rate.bin", size, PIECE);
  const mib = (n: number) => (n / 1048576).toFixed(3).padStart(9);
  console.log(`limit ${mib(limit)} MiB/s, window ${windowSec} s after ${WARMUP_SEC} s warm-up`);
  console.log("direction   achieved MiB/s   limit MiB/s   deviation");
  for (const direction of ["upload", "download"] as const) {
    const rate = await run(direction, dir, meta);
    const deviation = ((rate - limit) / limit) * 100;
    console.log(`${direction.padEnd(10)}  ${mib(rate)}        ${mib(limit)}     ${deviation >= 0 ? "+" : ""}${deviation.toFixed(1)} %`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
