// One ripple-to-ripple download in the network lab, over uTP (BEP 29) or TCP: a seeder on one host, a
// downloader on another (or the same host over its loopback); the time to `done` and whether the bytes
// match. Shell: lab processes, files. Traffic stays in the lab's namespaces.

import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { LabHost, NetLab } from "./lab.ts";
import { LabProcess } from "./lab-process.ts";
import { sha1File, writePayload } from "./payload.ts";

export const SEED_PORT = 6881;

export interface Payload {
  torrent: string;
  seedDir: string;
  sha1: string;
  name: string;
}

/** Writes a `bytes` payload and its torrent (no tracker: peers are named with --peer) under `work`. */
export async function preparePayload(ripple: string, work: string, bytes: number): Promise<Payload> {
  const seedDir = join(work, "seed");
  await mkdir(seedDir, { recursive: true });
  const path = join(seedDir, "payload.bin");
  const sha1 = await writePayload(path, bytes);
  const torrent = join(work, "payload.torrent");
  const created = Bun.spawnSync([ripple, "create", path, "-o", torrent, "--piece-length", "256K", "--quiet"], { stderr: "pipe" });
  if (created.exitCode !== 0) throw new Error(`ripple create: ${created.stderr.toString()}`);
  return { torrent, seedDir, sha1, name: "payload.bin" };
}

/** Starts a ripple seeder (TCP and uTP on SEED_PORT) on `host` and waits until it seeds. */
export async function startSeeder(lab: NetLab, host: LabHost, ripple: string, p: Payload, logs: string): Promise<LabProcess> {
  // --verbose: the uTP connection counters go to the seeder's log (stderr) when a connection closes.
  const argv = [ripple, "seed", p.torrent, "-o", p.seedDir, "--port", String(SEED_PORT), "--no-dht", "--no-trackers", "--json", "--verbose"];
  const seeder = new LabProcess(lab, host, `seeder-${host.name}`, argv, join(logs, `seeder-${host.name}.log`));
  await seeder.waitEvent("seeding", 60_000);
  return seeder;
}

export interface TransferResult {
  transport: "utp" | "tcp";
  /** From the downloader's start to its `done` event. */
  seconds: number;
  bytesMatch: boolean;
}

/** Downloads from `seedIp` on `host` over `transport` only (uTP: --utp-mode only; TCP: --no-utp). */
export async function timedDownload(
  lab: NetLab,
  host: LabHost,
  seedIp: string,
  ripple: string,
  p: Payload,
  o: { transport: "utp" | "tcp"; work: string; logs: string; tag: string; timeoutMs: number },
): Promise<TransferResult> {
  const out = join(o.work, `out-${o.tag}`);
  await mkdir(out, { recursive: true });
  const transportArgs = o.transport === "utp" ? ["--utp-mode", "only"] : ["--no-utp"];
  const argv = [ripple, "download", p.torrent, "-o", out, "--port", String(SEED_PORT + 1), "--no-dht", "--no-trackers", "--peer", `${seedIp}:${SEED_PORT}`, ...transportArgs, "--json"];
  const t0 = performance.now();
  const dl = new LabProcess(lab, host, `leech-${o.tag}`, argv, join(o.logs, `leech-${o.tag}.log`));
  try {
    await dl.waitEvent("done", o.timeoutMs);
  } finally {
    if (dl.proc.exitCode === null) await dl.stop();
  }
  const seconds = (dl.firstSeen.get("done")! - t0) / 1000;
  const connected = dl.events.find((e) => e.event === "peer" && e.action === "connected");
  if (connected?.transport !== o.transport) throw new Error(`${o.tag}: connected over ${String(connected?.transport)}, expected ${o.transport}`);
  const bytesMatch = (await sha1File(join(out, p.name)).catch(() => "")) === p.sha1;
  await rm(out, { recursive: true, force: true });
  return { transport: o.transport, seconds, bytesMatch };
}
