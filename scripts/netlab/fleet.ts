// Fleet distribution in the network lab: one origin seeds an artifact, N hosts download it at once and
// share it among themselves through a tracker. Measures each host's completion time, its rate against its
// link's cap, and how many copies of the payload the origin had to upload. Used by scripts/fleet.ts and
// by test/scripts/fleet.test.ts.

import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NetLab, type HostSpec } from "./lab.ts";
import { LabProcess } from "./lab-process.ts";
import { sha1File, writePayload } from "./payload.ts";

export interface FleetOptions {
  /** Downloading hosts (the origin and the tracker are extra). */
  hosts: number;
  /** Each host's and the origin's link cap, bytes per second, each way (0 = none). */
  rateBytes: number;
  /** The round trip each host's link adds, ms. */
  delayMs: number;
  loss: number;
  payloadBytes: number;
  /** How to run ripple: an executable (or wrapper) path. */
  ripple: string;
  tracker: "ripple" | "opentracker";
  /** The origin: `ripple seed` (default), or an HTTP server the torrent names as its web seed (BEP 19). */
  origin?: "seed" | "http";
  workDir: string;
  /** Extra options for every `ripple download` (e.g. --max-peers). */
  downloadArgs?: string[];
  /** Extra options for the origin's `ripple seed`. */
  seedArgs?: string[];
  timeoutMs?: number;
  progress?: (line: string) => void;
}

export interface FleetHostResult {
  name: string;
  seconds: number;
  /** payload / seconds / cap; undefined without a cap. */
  capShare?: number;
  uploadedBytes: number;
  bytesMatch: boolean;
}

export interface FleetResult {
  hosts: FleetHostResult[];
  /** Share of the machine's CPU time busy (not idle or iowait) from the start of the downloads to the last done. */
  cpuBusy: number;
  originUploadedBytes: number;
  payloadBytes: number;
  options: FleetOptions;
}

const TRACKER_PORT = 6969;
const PEER_PORT = 6881;
const HTTP_PORT = 8080;
const HTTP_ORIGIN = join(import.meta.dir, "http-origin.ts");

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const say = o.progress ?? (() => {});
  const link = { upRateBytes: o.rateBytes, downRateBytes: o.rateBytes, delayMs: o.delayMs, loss: o.loss };
  const specs: HostSpec[] = [{ name: "tracker" }, { name: "origin", ...link }];
  for (let i = 1; i <= o.hosts; i++) specs.push({ name: `h${i}`, ...link });
  await using lab = await NetLab.create(specs);
  const procs: LabProcess[] = [];
  try {
    const logs = join(o.workDir, "logs");
    await mkdir(join(o.workDir, "origin"), { recursive: true });
    await mkdir(logs, { recursive: true });
    say(`payload: ${(o.payloadBytes / 2 ** 20).toFixed(0)} MiB`);
    const payload = join(o.workDir, "origin", "artifact.bin");
    const payloadSha1 = await writePayload(payload, o.payloadBytes);
    const trackerHost = lab.host("tracker");
    const announce = `http://${trackerHost.ip}:${TRACKER_PORT}/announce`;
    const torrent = join(o.workDir, "artifact.torrent");
    const webSeed = o.origin === "http" ? ["--web-seed", `http://${lab.host("origin").ip}:${HTTP_PORT}/`] : [];
    const created = Bun.spawnSync([o.ripple, "create", payload, "-o", torrent, "--tracker", announce, ...webSeed, "--quiet"], { stderr: "pipe" });
    if (created.exitCode !== 0) throw new Error(`ripple create failed: ${created.stderr.toString()}`);

    const start = (host: string, name: string, argv: string[]): LabProcess => {
      const p = new LabProcess(lab, lab.host(host), name, argv, join(logs, `${name}.log`));
      procs.push(p);
      return p;
    };
    if (o.tracker === "opentracker") {
      const dir = join(o.workDir, "opentracker");
      await mkdir(dir, { recursive: true });
      const info = Bun.spawnSync([o.ripple, "info", torrent, "--json"], { stdout: "pipe" });
      const infoHash = String((JSON.parse(info.stdout.toString()) as { infoHash: string }).infoHash);
      await writeFile(join(dir, "whitelist.txt"), `${infoHash}\n`);
      const p = start("tracker", "tracker", ["opentracker", "-i", trackerHost.ip, "-p", String(TRACKER_PORT), "-P", String(TRACKER_PORT), "-d", dir, "-w", "whitelist.txt"]);
      await waitPortOpen(lab, trackerHost, TRACKER_PORT, p);
    } else {
      const p = start("tracker", "tracker", [o.ripple, "tracker", "--host", "0.0.0.0", "--port", String(TRACKER_PORT), "--interval", "10", "--json"]);
      await p.waitEvent("listening", 30_000);
    }
    const origin =
      o.origin === "http"
        ? start("origin", "origin", [process.execPath, HTTP_ORIGIN, join(o.workDir, "origin"), String(HTTP_PORT)])
        : start("origin", "origin", [o.ripple, "seed", torrent, "-o", join(o.workDir, "origin"), "--port", String(PEER_PORT), "--no-dht", "--json", ...(o.seedArgs ?? [])]);
    await origin.waitEvent(o.origin === "http" ? "listening" : "tracker", 120_000);
    say(`origin ${o.origin === "http" ? "serving over HTTP" : "seeding"}; starting ${o.hosts} downloads at once`);

    const cpuAtStart = cpuTimes();
    const t0 = performance.now();
    const hosts: LabProcess[] = [];
    for (let i = 1; i <= o.hosts; i++) {
      const argv = [o.ripple, "download", torrent, "-o", join(o.workDir, `h${i}`), "--port", String(PEER_PORT), "--no-dht", "--json", "--seed-time", "1h", "--stall-timeout", "2m", ...(o.downloadArgs ?? [])];
      hosts.push(start(`h${i}`, `h${i}`, argv));
    }
    const timeoutMs = o.timeoutMs ?? 30 * 60_000;
    let finished = 0;
    await Promise.all(
      hosts.map(async (h) => {
        await h.waitEvent("done", timeoutMs);
        finished++;
        say(`${h.name} done in ${((h.firstSeen.get("done")! - t0) / 1000).toFixed(2)} s (${finished}/${o.hosts})`);
      }),
    );
    const cpuAtEnd = cpuTimes();
    const cpuBusy = 1 - (cpuAtEnd.idle - cpuAtStart.idle) / Math.max(1, cpuAtEnd.total - cpuAtStart.total);
    // Graceful stops: each ripple prints its final stats (uploaded bytes) in an `interrupted` event.
    await Promise.all([...hosts, origin].map((p) => p.stop()));
    const results: FleetHostResult[] = [];
    for (const [i, h] of hosts.entries()) {
      const seconds = (h.firstSeen.get("done")! - t0) / 1000;
      const final = h.last("interrupted") ?? h.last("progress");
      results.push({
        name: h.name,
        seconds,
        ...(o.rateBytes > 0 && { capShare: o.payloadBytes / seconds / o.rateBytes }),
        uploadedBytes: Number(final?.uploadedBytes ?? 0),
        bytesMatch: (await sha1File(join(o.workDir, `h${i + 1}`, "artifact.bin"))) === payloadSha1,
      });
    }
    const originFinal = origin.last("interrupted") ?? origin.last("progress");
    return { hosts: results, cpuBusy, originUploadedBytes: Number(originFinal?.uploadedBytes ?? 0), payloadBytes: o.payloadBytes, options: o };
  } finally {
    await Promise.all(procs.map((p) => (p.proc.exitCode === null ? p.stop() : undefined)));
  }
}

/** The machine's CPU time so far (all cores, in USER_HZ ticks): idle (with iowait) and total. */
function cpuTimes(): { idle: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) };
}

/** Waits until something in `host` accepts TCP connections on `port` (for programs without JSON events). */
async function waitPortOpen(lab: NetLab, host: { ip: string; netns: string; name: string; link: object }, port: number, p: LabProcess): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (p.proc.exitCode !== null) throw new Error(`${p.name} exited (code ${p.proc.exitCode})`);
    const probe = Bun.spawnSync(lab.argv(host, ["bash", "-c", `exec 3<>/dev/tcp/${host.ip}/${port}`]), { stderr: "ignore" });
    if (probe.exitCode === 0) return;
    await Bun.sleep(100);
  }
  throw new Error(`${p.name}: nothing listening on ${host.ip}:${port} after 30 s`);
}

/** Summary figures of a fleet run. */
export function fleetSummary(r: FleetResult): { p50: number; p99: number; max: number; meanCapShare?: number; originCopies: number; allMatch: boolean } {
  const times = r.hosts.map((h) => h.seconds).sort((a, b) => a - b);
  const shares = r.hosts.map((h) => h.capShare).filter((s): s is number => s !== undefined);
  return {
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    max: times.at(-1) ?? 0,
    ...(shares.length > 0 && { meanCapShare: shares.reduce((a, b) => a + b, 0) / shares.length }),
    originCopies: r.originUploadedBytes / r.payloadBytes,
    allMatch: r.hosts.every((h) => h.bytesMatch),
  };
}
