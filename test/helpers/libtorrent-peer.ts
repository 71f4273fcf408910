// Test helper: a libtorrent peer (python3-libtorrent, driven by lt-peer.py) on loopback, IPv4 or IPv6,
// with discovery off and encryption forced or merely enabled. Must never reach beyond loopback (or, for
// the network lab, the lab host's address). The benchmarks build their command lines with ltPeerArgv too.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { IS_CI, type ManagedProcess, spawnManaged, waitFor } from "./process.ts";

/** The distribution's python3: the one python3-libtorrent is installed for (a pyenv python3 on PATH lacks it). */
export const PYTHON = "/usr/bin/python3";
const SCRIPT = join(import.meta.dir, "lt-peer.py");
let available: boolean | undefined;

/** Whether `/usr/bin/python3 -c 'import libtorrent'` works. */
export function hasLibtorrent(): boolean {
  available ??= Bun.spawnSync([PYTHON, "-c", "import libtorrent"], { stdio: ["ignore", "ignore", "ignore"] }).exitCode === 0;
  return available;
}

/** For test.skipIf: missing on a developer machine; under CI never (the test then fails in startLibtorrent). */
export function missingLibtorrent(): boolean {
  return !IS_CI && !hasLibtorrent();
}

/** What lt-peer.py is told; see the usage at the top of lt-peer.py. */
export interface LtPeerArgs {
  /** `seed-trusted`: seed_mode, the data is not hashed before seeding. */
  mode: "seed" | "seed-trusted" | "leech";
  /** A .torrent file, or for a leecher a magnet link. */
  torrentPath: string;
  dataDir: string;
  /** Address to listen on and dial from: "127.0.0.1" (default), "::1" or a network-lab host's. */
  ip?: string;
  port: number;
  /** pe_forced both ways with RC4 only, or pe_enabled (either; the default). */
  encryption?: "forced" | "enabled";
  /** Peers to dial once ready (a seeder after checking its data), "HOST:PORT" or "[V6]:PORT". */
  peers?: string[];
  /** uTP only: TCP off both ways (default: TCP only). */
  utpOnly?: boolean;
}

/** The command line running lt-peer.py with `a`. */
export function ltPeerArgv(a: LtPeerArgs): string[] {
  return [
    PYTHON,
    SCRIPT,
    a.mode,
    a.torrentPath,
    a.dataDir,
    "--port",
    String(a.port),
    ...(a.ip !== undefined ? ["--ip", a.ip] : []),
    ...(a.encryption !== undefined ? ["--encryption", a.encryption] : []),
    ...(a.utpOnly ? ["--utp-only"] : []),
    ...(a.peers ?? []).flatMap((p) => ["--peer", p]),
  ];
}

export interface LibtorrentOptions extends LtPeerArgs {
  mode: "seed" | "leech";
  ip: string;
  encryption: "forced" | "enabled";
}

export interface LibtorrentPeer extends AsyncDisposable {
  readonly process: ManagedProcess;
  /** Resolves once the JSON event `event` has been printed; throws with the log if it exits first. */
  waitFor(event: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts lt-peer.py and waits until it listens (and, as a seeder, has checked its data). */
export async function startLibtorrent(o: LibtorrentOptions): Promise<LibtorrentPeer> {
  if (!hasLibtorrent()) throw new Error(`python3-libtorrent is missing (apt-get install python3-libtorrent${IS_CI ? "; CI=true, so this test fails instead of skipping" : ""})`);
  await mkdir(o.dataDir, { recursive: true });
  const p = await spawnManaged(ltPeerArgv(o), { name: `libtorrent ${o.mode} [${o.ip}]:${o.port}${o.utpOnly ? " (uTP only)" : ""}` });
  const seen = (event: string) => p.log().split("\n").some((l) => l.startsWith("{") && (JSON.parse(l) as { event: string }).event === event);
  const peer: LibtorrentPeer = {
    process: p,
    async waitFor(event, timeoutMs = 30_000) {
      await waitFor(
        () => {
          if (seen("error")) throw new Error(`${p.name} failed:\n${p.logTail(30)}`);
          if (seen(event)) return true;
          if (p.hasExited) throw new Error(`${p.name} exited before "${event}":\n${p.logTail(30)}`);
          return false;
        },
        { what: `${p.name} to report "${event}"`, timeoutMs },
      );
    },
    stop: () => p.stop(),
    [Symbol.asyncDispose]: () => p.stop(),
  };
  try {
    await peer.waitFor("listening", 20_000);
    if (o.mode === "seed") await peer.waitFor("seeding", 20_000);
  } catch (err) {
    await p.stop();
    throw err;
  }
  return peer;
}
