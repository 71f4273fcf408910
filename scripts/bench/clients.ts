// Benchmark peers: command lines for ripple, libtorrent (python3-libtorrent via test/helpers/lt-peer.py)
// and aria2c as leechers and seeders, and which of them are installed. Every program binds to 127.0.0.1
// (or a network-lab host's address) with DHT, LSD/LPD, PEX, UPnP, NAT-PMP and uTP off: TCP only (ripple's
// DHT and uTP are on by default: always pass --no-dht --no-utp; aria2c has no uTP). libtorrent's and
// aria2c's command lines are the tests' own (test/helpers/libtorrent-peer.ts, test/helpers/aria2.ts),
// so benchmarks and tests run them alike.

import { ltPeerArgv, PYTHON } from "../../test/helpers/libtorrent-peer.ts";
import { hasBinary, type ManagedProcess } from "../../test/helpers/process.ts";
import { aria2cArgv } from "../../test/helpers/real-peers.ts";
import { startUntil } from "./measure.ts";

export type ClientName = "ripple" | "libtorrent" | "aria2c";

/** Which optional programs are installed, and their versions; `missing` holds one message per absent one. */
export interface Tools {
  libtorrent?: string;
  aria2c?: string;
  mktorrent: boolean;
  opentracker: boolean;
  sha1sum: boolean;
  missing: string[];
}

export function detectTools(): Tools {
  const missing: string[] = [];
  const lt = Bun.spawnSync([PYTHON, "-c", "import libtorrent as lt; print(lt.__version__)"], { stdout: "pipe", stderr: "ignore" });
  const libtorrent = lt.exitCode === 0 ? lt.stdout.toString().trim() : undefined;
  if (libtorrent === undefined) missing.push(`libtorrent: ${PYTHON} cannot import libtorrent (apt-get install -y python3-libtorrent); libtorrent rows skipped`);
  let aria2c: string | undefined;
  if (hasBinary("aria2c")) aria2c = /aria2 version (\S+)/.exec(Bun.spawnSync(["aria2c", "--version"]).stdout.toString())?.[1] ?? "?";
  else missing.push("aria2c: not on PATH (apt-get install -y aria2); aria2c rows skipped");
  const mktorrent = hasBinary("mktorrent");
  if (!mktorrent) missing.push("mktorrent: not on PATH (apt-get install -y mktorrent); mktorrent row skipped");
  const opentracker = hasBinary("opentracker");
  if (!opentracker) missing.push("opentracker: not on PATH (apt-get install -y opentracker); using `ripple tracker` instead");
  const sha1sum = hasBinary("sha1sum");
  if (!sha1sum) missing.push("sha1sum: not on PATH (apt-get install -y coreutils); sha1sum row skipped");
  return { libtorrent, aria2c, mktorrent, opentracker, sha1sum, missing };
}

/** A leecher's command line: downloads `torrent` into `outDir` and exits 0 once it is complete. `bindIp`:
 * the address libtorrent and aria2c bind to (a network-lab host's; ripple listens on every address). */
export function leecherArgv(client: ClientName, ripple: string, torrent: string, outDir: string, port: number, bindIp = "127.0.0.1"): string[] {
  switch (client) {
    case "ripple":
      return [ripple, "download", torrent, "-o", outDir, "--port", String(port), "--no-dht", "--no-utp", "--quiet", "--stall-timeout", "60s", "--timeout", "10m"];
    case "libtorrent":
      return ltPeerArgv({ mode: "leech", torrentPath: torrent, dataDir: outDir, port, ip: bindIp });
    case "aria2c":
      return [...aria2cArgv({ dir: outDir, port, bindIp }), "--seed-time=0", "--bt-stop-timeout=60", `--torrent-file=${torrent}`];
  }
}

/** aria2c seeding the complete data at `dataDir/<name>` (verified first, -V) until stopped. */
export function aria2cSeederArgv(torrent: string, dataDir: string, port: number, bindIp: string): string[] {
  return [...aria2cArgv({ dir: dataDir, port, bindIp }), "--seed-ratio=0.0", "--check-integrity=true", `--torrent-file=${torrent}`];
}

/** lt-peer.py seeding the data at `dataDir/<name>` (checked first), bound to `bindIp`; prints `ready` once announced. */
export function libtorrentSeederArgv(torrent: string, dataDir: string, port: number, bindIp: string): string[] {
  return ltPeerArgv({ mode: "seed", torrentPath: torrent, dataDir, port, ip: bindIp });
}

/** A seeder of the data at `dataDir/<name>`, ready (verified, announced) when this resolves. */
export async function startSeeder(
  kind: "ripple" | "libtorrent",
  ripple: string,
  torrent: string,
  dataDir: string,
  logPath: string,
  options: { trustData?: boolean; port: number },
): Promise<ManagedProcess> {
  if (kind === "ripple") {
    // `tracker` is printed once an announce has been answered, so leechers will find this seeder.
    return startUntil([ripple, "seed", torrent, "-o", dataDir, "--port", String(options.port), "--no-dht", "--no-utp", "--json"], {
      name: "ripple seeder",
      logPath,
      readyText: '"event":"tracker"',
      timeoutMs: 120_000,
    });
  }
  const mode = options.trustData ? "seed-trusted" : "seed";
  return startUntil(ltPeerArgv({ mode, torrentPath: torrent, dataDir, port: options.port }), {
    name: "libtorrent seeder",
    logPath,
    readyText: '"event": "ready"',
    timeoutMs: 120_000,
  });
}
