// Test helper: aria2c as a seeder or leecher on 127.0.0.1, discovery off. Test-only; loopback only.

import { mkdir } from "node:fs/promises";
import { freePort, waitForPort } from "./ports.ts";
import { requireBinary, spawnManaged, waitFor, waitForEvent } from "./process.ts";
import { type RealPeer, type RealLeecher, handle, assertRunning, startWith } from "./real-process.ts";
import { assertSeedDataPresent } from "./payload-tree.ts";

/** Options shared by the aria2c seeder and leecher. */
export interface Aria2Options {
  torrentPath: string;
  /** Leecher only: download this magnet link instead of the .torrent (aria2c fetches the metadata). */
  magnet?: string;
  /** Directory holding (seeder) or receiving (leecher) `<name>/...`. */
  dataDir: string;
  /** Listen port; default a free one. */
  port?: number;
  /** Seconds between announces (overrides the tracker's interval); 0 = aria2's own choice (default). */
  trackerIntervalSec?: number;
  /** More aria2c options, appended last. */
  extraArgs?: string[];
  /** Seeder only: start even if the data is missing or fails verification (a partial seed). */
  allowIncomplete?: boolean;
}

/** Where and how aria2cArgv's aria2c runs. */
export interface Aria2ArgvOptions {
  /** Directory holding (seeder) or receiving (leecher) `<name>/...`. */
  dir: string;
  port: number;
  /** The one address it listens on and dials from: 127.0.0.1 (default) or a network-lab host's. */
  bindIp?: string;
  /** Seconds between announces (overrides the tracker's interval); 0 = aria2's own choice (default). */
  trackerIntervalSec?: number;
}

/**
 * aria2c 1.36 options that keep it on one address with discovery off, for the tests and the benchmarks
 * (scripts/bench/clients.ts) alike; the caller adds the seed or leech options and the torrent or magnet.
 * `--no-conf` ignores ~/.aria2/aria2.conf; `--interface` binds the listen socket and outgoing connections;
 * `--stop-with-process` makes it exit if the process that started it dies. The console log stays at
 * `notice`: the seeder's readiness check reads aria2's verification result from it.
 */
export function aria2cArgv(o: Aria2ArgvOptions): string[] {
  return [
    "aria2c",
    "--no-conf=true",
    "--no-netrc=true",
    "--enable-dht=false",
    "--enable-dht6=false",
    "--bt-enable-lpd=false",
    "--enable-peer-exchange=false",
    "--disable-ipv6=true",
    `--interface=${o.bindIp ?? "127.0.0.1"}`,
    `--listen-port=${o.port}`,
    "--async-dns=false",
    "--enable-rpc=false",
    "--follow-torrent=false",
    "--file-allocation=none",
    "--auto-save-interval=0",
    "--summary-interval=0",
    "--console-log-level=notice",
    "--enable-color=false",
    `--stop-with-process=${process.pid}`,
    // Only a magnet download has metadata to save; never leave a .torrent file behind.
    "--bt-save-metadata=false",
    `--bt-tracker-interval=${o.trackerIntervalSec ?? 0}`,
    `--dir=${o.dir}`,
  ];
}

/**
 * aria2c seeding existing data: `-V` (`--check-integrity`) hashes it first, then it listens and announces
 * to the torrent's trackers. `--seed-ratio=0.0` without `--seed-time` = seed until stopped.
 * Resolves once the listen port accepts connections (aria2 listens only after verification).
 */
export async function startAria2Seeder(options: Aria2Options): Promise<RealPeer> {
  requireBinary("aria2c");
  if (!options.allowIncomplete) await assertSeedDataPresent(options.torrentPath, options.dataDir);
  const port = options.port ?? (await freePort());
  const args = [...aria2cArgv({ dir: options.dataDir, port, trackerIntervalSec: options.trackerIntervalSec }), "--check-integrity=true", "--seed-ratio=0.0", ...(options.extraArgs ?? []), `--torrent-file=${options.torrentPath}`];
  const p = await spawnManaged(args, { name: `aria2c seeder :${port}` });
  return startWith(p, async () => {
    await waitForPort(port, { what: `aria2c seeder to listen on 127.0.0.1:${port}`, timeoutMs: 20_000, check: () => assertRunning(p) });
    // aria2 verifies before it listens and logs either "Verification finished successfully" or
    // "Checksum error detected" (and then quietly becomes a leecher).
    if (!options.allowIncomplete) {
      await waitFor(
        () => {
          const log = p.log();
          if (log.includes("Checksum error detected")) {
            throw new Error(`${p.name}: data in ${options.dataDir} failed verification against ${options.torrentPath}`);
          }
          return log.includes("Verification finished successfully");
        },
        { what: `${p.name} to report its verification`, timeoutMs: 20_000 },
      );
    }
    return handle(p, { port });
  });
}

/**
 * aria2c downloading into `dataDir` with `--seed-time=0`: it exits 0 as soon as the download is complete
 * and verified, so {@link RealLeecher.waitDone} waits for a clean exit. With DHT, PEX and LPD off it
 * finds peers only through the torrent's trackers, and accepts incoming connections on `port`.
 */
export async function startAria2Leecher(options: Aria2Options): Promise<RealLeecher> {
  requireBinary("aria2c");
  const port = options.port ?? (await freePort());
  await mkdir(options.dataDir, { recursive: true });
  const source = options.magnet ?? `--torrent-file=${options.torrentPath}`;
  const args = [...aria2cArgv({ dir: options.dataDir, port, trackerIntervalSec: options.trackerIntervalSec }), "--seed-time=0", ...(options.extraArgs ?? []), source];
  const p = await spawnManaged(args, { name: `aria2c leecher :${port}` });
  return startWith(p, async () => {
    // Ready for a peer that dials it; with nothing to verify, aria2 listens at once.
    await waitForPort(port, { what: `aria2c leecher to listen on 127.0.0.1:${port}`, check: () => assertRunning(p) });
    return handle(p, {
      port,
      async waitDone(opts: { timeoutMs?: number } = {}) {
        const code = await waitForEvent(p.exited, { what: `${p.name} to finish the download and exit`, timeoutMs: opts.timeoutMs ?? 30_000 });
        if (code !== 0) throw new Error(`${p.name} exited with code ${code}\n${p.logTail(40)}`);
      },
    });
  });
}
