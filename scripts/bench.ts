// Loopback download benchmark: `ripple seed` and `ripple download` (the compiled binary, separate
// processes) over 127.0.0.1, against a reference measured in the same run on the same payload: plain
// SHA-1 of the data, the floor of the work a download must do. Prints MiB/s, the leecher's CPU seconds
// and peak RSS, and the ratio to the reference.
// Run: bun run bench [sizeMiB=256] [pieceKiB=1024]

import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makePayload } from "./payload.ts";

const sizeMiB = Number(process.argv[2] ?? 256);
const pieceKiB = Number(process.argv[3] ?? 1024);
const ROOT = resolve(import.meta.dir, "..");

interface Row {
  what: string;
  seconds: number;
  cpuSeconds?: number;
  peakRssMiB?: number;
}

async function buildBinary(dir: string): Promise<string> {
  const out = join(dir, "ripple");
  const p = Bun.spawnSync(["bun", "build", "--compile", "src/cli/main.ts", "--outfile", out], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`build failed: ${p.stderr.toString()}`);
  return out;
}

async function sha1Reference(path: string): Promise<Row> {
  const t0 = performance.now();
  const hasher = new Bun.CryptoHasher("sha1");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  hasher.digest();
  return { what: "sha1 of the payload (reference)", seconds: (performance.now() - t0) / 1000 };
}

/** Starts `ripple seed --json` and resolves with its port once it is seeding. */
async function startSeeder(binary: string, torrentPath: string, dataDir: string) {
  const proc = Bun.spawn([binary, "seed", torrentPath, "-o", dataDir, "--port", "0", "--json", "--no-trackers"], { stdout: "pipe", stderr: "inherit" });
  const decoder = new TextDecoder();
  let text = "";
  let port = 0;
  const reader = proc.stdout[Symbol.asyncIterator]();
  for (let next = await reader.next(); !next.done; next = await reader.next()) {
    text += decoder.decode(next.value, { stream: true });
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      const e = JSON.parse(line) as { event: string; port?: number };
      if (e.event === "metadata") port = e.port ?? 0;
      if (e.event === "seeding") {
        void (async () => {
          // Keep draining the seeder's events so its stdout never fills up.
          while (!(await reader.next()).done);
        })();
        return { proc, port };
      }
    }
  }
  throw new Error("ripple seed exited before seeding");
}

/** The kernel's peak-RSS mark of a live process (VmHWM, KiB), or undefined once it is gone. */
function peakRssKiB(pid: number): number | undefined {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  } catch {
    // The process has exited between two polls; the last reading stands.
    return undefined;
  }
}

/**
 * Runs a leecher to completion: wall time, CPU time from its resource usage, and peak RSS polled from
 * /proc (ru_maxrss is useless here: on exec Linux carries over the parent's high-water mark, and this
 * process holds the whole payload).
 */
async function timeLeecher(what: string, argv: string[]): Promise<Row> {
  const t0 = performance.now();
  const proc = Bun.spawn(argv, { stdout: "ignore", stderr: "pipe" });
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, peakRssKiB(proc.pid) ?? 0)), 20);
  const code = await proc.exited;
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${what} exited ${code}: ${await new Response(proc.stderr).text()}`);
  const usage = proc.resourceUsage();
  const cpu = usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : undefined;
  return { what, seconds, cpuSeconds: cpu, peakRssMiB: peak > 0 ? peak / 1024 : undefined };
}

const work = await mkdtemp(join(tmpdir(), "ripple-bench-"));
try {
  console.log(`payload ${sizeMiB} MiB, pieces of ${pieceKiB} KiB, loopback, ${navigator.hardwareConcurrency} cores`);
  const binary = await buildBinary(work);
  const payload = makePayload(work, "bench.bin", sizeMiB * 1024 * 1024, pieceKiB * 1024);
  const rows: Row[] = [await sha1Reference(join(payload.dataDir, "bench.bin"))];
  const seeder = await startSeeder(binary, payload.torrentPath, payload.dataDir);
  try {
    const peer = `127.0.0.1:${seeder.port}`;
    rows.push(await timeLeecher("ripple download", [binary, "download", payload.torrentPath, "-o", join(work, "out-ripple"), "--port", "0", "--peer", peer, "--no-trackers", "--quiet"]));
  } finally {
    seeder.proc.kill("SIGINT");
    await seeder.proc.exited;
  }
  const sha = rows[0]!;
  console.log("\nwhat                              MiB/s   seconds   CPU s   peak RSS MiB   vs sha1");
  for (const r of rows) {
    const rate = sizeMiB / r.seconds;
    const cells = [
      r.what.padEnd(32),
      rate.toFixed(0).padStart(7),
      r.seconds.toFixed(2).padStart(9),
      (r.cpuSeconds?.toFixed(2) ?? "-").padStart(7),
      (r.peakRssMiB?.toFixed(0) ?? "-").padStart(14),
      (sha.seconds / r.seconds).toFixed(2).padStart(9),
    ];
    console.log(cells.join(" "));
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
