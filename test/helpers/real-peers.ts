// Test helper: run real third-party BitTorrent programs (opentracker, aria2c, transmission-daemon, mktorrent)
// on 127.0.0.1 with every discovery feature off (DHT, LPD, PEX, UPnP/NAT-PMP, uTP), plus a deterministic
// multi-file payload and a byte-for-byte tree comparison. Test-only; must never reach beyond loopback.

import { createHash } from "node:crypto";
import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BValue, bdecode, dictGet, getBytes, getNumber, getString, isDict } from "./mini-bencode.ts";
import { freePort, isPortOpen, waitForPort } from "./ports.ts";
import { seededBytes } from "./random.ts";
import { liveLogTails, type ManagedProcess, makeTempDir, requireBinary, spawnManaged, waitFor, waitForEvent } from "./process.ts";

export { freePort, isPortOpen, waitForPort } from "./ports.ts";
export { compareTrees } from "./files.ts";
export {
  hasBinary,
  IS_CI,
  liveLogTails,
  ManagedProcess,
  makeTempDir,
  missingBinaries,
  requireBinary,
  type SpawnManagedOptions,
  spawnManaged,
  stopAllManaged,
  type TempDir,
  tempDir,
  waitFor,
  waitForEvent,
} from "./process.ts";

/** Every real peer/tracker: stop() kills its process group, waits for exit and removes its temp dirs. */
export interface RealProcessHandle extends AsyncDisposable {
  readonly process: ManagedProcess;
  /** The process log so far (stdout+stderr). */
  log(): string;
  stop(): Promise<void>;
}

/** A real BitTorrent client listening on 127.0.0.1:port. */
export interface RealPeer extends RealProcessHandle {
  readonly port: number;
}

/** A real client downloading a torrent. */
export interface RealLeecher extends RealPeer {
  /** Resolves once the download is complete on disk; throws (with the log) on failure or timeout. */
  waitDone(options?: { timeoutMs?: number }): Promise<void>;
}

/** An address a tracker handed out. */
export interface TrackerPeer {
  host: string;
  port: number;
}

function handle<T extends object>(process: ManagedProcess, extra: T): T & RealProcessHandle {
  return {
    ...extra,
    process,
    log: () => process.log(),
    stop: () => process.stop(),
    [Symbol.asyncDispose]: () => process.stop(),
  };
}

/** Throws (with the log) if `p` has exited: a `check` for waits on a process that must stay up. */
function assertRunning(p: ManagedProcess): void {
  if (p.hasExited) {
    throw new Error(`${p.name} exited early (code ${p.proc.exitCode ?? p.proc.signalCode})\n${p.logTail(40)}`);
  }
}

/** Runs `ready` for a just-started process; if it fails, stops the process before the error propagates. */
async function startWith<T>(p: ManagedProcess, ready: () => Promise<T>): Promise<T> {
  try {
    return await ready();
  } catch (error) {
    const log = p.logTail(40);
    await p.stop();
    if (error instanceof Error && !error.message.includes(p.name)) {
      error.message += `\n--- ${p.name} log tail ---\n${log}`;
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Payload tree, torrent creation, tree comparison

/** One file of a payload, path relative to the payload root with `/` separators. */
export interface PayloadFile {
  path: string;
  lengthBytes: number;
}

/** A payload made by {@link makePayloadTree}: `dir/name/...`. Seeders take `dataDir: dir`. */
export interface PayloadTree {
  /** The parent directory given to makePayloadTree (the clients' data dir). */
  dir: string;
  /** The torrent name (top-level directory). */
  name: string;
  /** `dir/name`: what mktorrent gets as its source. */
  root: string;
  files: PayloadFile[];
  totalBytes: number;
}


/**
 * Writes a deterministic multi-file payload under `dir/name` (default name "payload"), 118000 bytes.
 * Files in torrent (sorted path) order; with 32 KiB pieces (mktorrent -l 15, its minimum) that is
 * 4 pieces, the last one short, and piece 1 spans 4 non-empty files plus the empty one:
 * - `a-first.bin` 40000 bytes, pseudo-random with a 1000-byte run of NULs at 10000
 * - `b-empty.txt` 0 bytes (Transmission does not create it)
 * - `c-dir/d-nested/mid.dat` 5000 bytes (nested directory)
 * - `c-dir/small file.txt` 3000 bytes of text with NULs and a space in the name
 * - `z-last.bin` 70000 bytes
 */
export async function makePayloadTree(dir: string, options: { name?: string } = {}): Promise<PayloadTree> {
  const name = options.name ?? "payload";
  const root = join(dir, name);
  const first = seededBytes(1)(40_000);
  first.fill(0, 10_000, 11_000);
  const text = new TextEncoder().encode("ripple\0payload\n".repeat(200)).subarray(0, 3000);
  const contents: [string, Uint8Array][] = [
    ["a-first.bin", first],
    ["b-empty.txt", new Uint8Array(0)],
    ["c-dir/d-nested/mid.dat", seededBytes(2)(5000)],
    ["c-dir/small file.txt", text],
    ["z-last.bin", seededBytes(3)(70_000)],
  ];
  for (const [path, data] of contents) {
    const full = join(root, ...path.split("/"));
    await mkdir(join(full, ".."), { recursive: true });
    await writeFile(full, data);
  }
  const files = contents.map(([path, data]) => ({ path, lengthBytes: data.length }));
  return { dir, name, root, files, totalBytes: files.reduce((sum, f) => sum + f.lengthBytes, 0) };
}

/** What a test needs to know about a .torrent file made by another tool. */
export interface TorrentFileInfo {
  path: string;
  /** The raw file bytes. */
  bytes: Uint8Array;
  /** SHA-1 of the raw `info` span, lowercase hex. */
  infoHash: string;
  name: string;
  pieceLength: number;
  pieceCount: number;
  /** In torrent order; a single-file torrent has one entry whose path is the name. */
  files: PayloadFile[];
  totalBytes: number;
}

/** Parses a .torrent with the harness's own decoder (independent of ripple's). */
export async function readTorrentInfo(path: string): Promise<TorrentFileInfo> {
  const bytes = new Uint8Array(await readFile(path));
  const top = bdecode(bytes);
  const span = isDict(top) ? top.spans.get("info") : undefined;
  if (span === undefined) throw new Error(`${path}: no info dict`);
  const info = dictGet(top, "info");
  const infoHash = createHash("sha1").update(bytes.subarray(span[0], span[1])).digest("hex");
  const name = getString(info, "name");
  const pieceLength = getNumber(info, "piece length");
  const pieceCount = getBytes(info, "pieces").length / 20;
  const list = dictGet(info, "files");
  const files: PayloadFile[] = Array.isArray(list)
    ? list.map((f) => {
        const parts = dictGet(f, "path");
        if (!Array.isArray(parts)) throw new Error(`${path}: file path is not a list`);
        const names = parts.map((p) => (p instanceof Uint8Array ? new TextDecoder().decode(p) : "?"));
        return { path: names.join("/"), lengthBytes: getNumber(f, "length") };
      })
    : [{ path: name, lengthBytes: getNumber(info, "length") }];
  return { path, bytes, infoHash, name, pieceLength, pieceCount, files, totalBytes: files.reduce((s, f) => s + f.lengthBytes, 0) };
}

/**
 * Throws unless every file of the torrent exists under `dataDir/<name>` with its full length (a fast,
 * client-independent check before starting a seeder; piece hashes are the client's job).
 */
export async function assertSeedDataPresent(torrentPath: string, dataDir: string): Promise<void> {
  const info = await readTorrentInfo(torrentPath);
  const multi = !(info.files.length === 1 && info.files[0]?.path === info.name);
  const problems: string[] = [];
  for (const f of info.files) {
    const full = multi ? join(dataDir, info.name, ...f.path.split("/")) : join(dataDir, info.name);
    const size = await stat(full).then((st) => st.size, () => undefined);
    if (size !== f.lengthBytes) problems.push(`${full}: ${size === undefined ? "missing" : `${size} bytes`}, torrent says ${f.lengthBytes}`);
  }
  if (problems.length > 0) throw new Error(`seed data does not match ${torrentPath}:\n${problems.join("\n")}`);
}

/** Options for {@link createTorrentWithMktorrent}. */
export interface MktorrentOptions {
  /** File or directory to hash (e.g. `PayloadTree.root`). */
  sourcePath: string;
  /** One or more announce URLs (each becomes its own tier). */
  announceUrl: string | string[];
  /** Piece length as a power of two; mktorrent 1.1 accepts 15..28 (32 KiB minimum). Default 15. */
  pieceLengthLog2?: number;
  outPath: string;
  private?: boolean;
}

/** Runs `mktorrent -d` (no creation date, so the file is reproducible) and returns the parsed result. */
export async function createTorrentWithMktorrent(options: MktorrentOptions): Promise<TorrentFileInfo> {
  requireBinary("mktorrent");
  const urls = Array.isArray(options.announceUrl) ? options.announceUrl : [options.announceUrl];
  const log2 = options.pieceLengthLog2 ?? 15;
  const args = ["mktorrent", "-d", "-l", String(log2), ...urls.flatMap((u) => ["-a", u]), "-o", options.outPath];
  if (options.private) args.push("-p");
  args.push(options.sourcePath);
  await rm(options.outPath, { force: true }); // mktorrent refuses to overwrite
  const proc = Bun.spawn(args, { stdio: ["ignore", "pipe", "pipe"] });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  // mktorrent 1.1 exits 1 with only its banner for an out-of-range -l; say so plainly.
  if (code !== 0) throw new Error(`mktorrent failed (exit ${code}, -l ${log2}): ${args.join(" ")}\n${out}${err}`);
  return readTorrentInfo(options.outPath);
}

// ---------------------------------------------------------------------------------------------------------
// opentracker

/** A running opentracker on 127.0.0.1 (HTTP and UDP on the same port). */
export interface OpenTracker extends RealProcessHandle {
  readonly port: number;
  /** `http://127.0.0.1:PORT/announce` */
  readonly announceUrl: string;
  /** `udp://127.0.0.1:PORT/announce` */
  readonly udpUrl: string;
  /** Adds infoHashes to the whitelist (rewrite + SIGHUP) and waits until the tracker accepts them. */
  allow(...infoHashesHex: string[]): Promise<void>;
  /**
   * The peers the tracker lists for a hash. Announces a probe leecher (127.0.0.1:1) and withdraws it at
   * once with `event=stopped`; the probe itself is left out of the result.
   */
  peersOf(infoHashHex: string): Promise<TrackerPeer[]>;
  /** Scrape counts (`complete` = seeders); zeros when the tracker knows no peer for the hash. */
  scrape(infoHashHex: string): Promise<{ complete: number; incomplete: number; downloaded: number }>;
  /** Waits until the tracker lists 127.0.0.1:port for the hash (e.g. "the seeder has announced"). */
  waitForPeer(infoHashHex: string, port: number, options?: { timeoutMs?: number }): Promise<void>;
}

const PROBE_PEER_ID = "-RH0001-harnessprobe";
const PROBE_PORT = 1;
/** Debian's nobody/nogroup. */
const NOBODY = { uid: 65534, gid: 65534 };

function percentEncodeHex(hex: string): string {
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new Error(`not a 40-digit hex infoHash: ${hex}`);
  return hex.replace(/../g, "%$&");
}

/** Options for {@link startOpentracker}. */
export interface OpentrackerOptions {
  /** Hex infoHashes to whitelist (Debian's opentracker serves only whitelisted hashes). */
  infoHashes?: string[];
  /** Fixed port (e.g. chosen with freePort({ udp: true }) before making the torrent); default a free one. */
  port?: number;
}

/**
 * Starts `opentracker -i 127.0.0.1 -p PORT -P PORT -d DIR -w whitelist.txt`. Debian builds it with
 * WANT_ACCESSLIST_WHITE: the whitelist must be non-empty, relative to DIR (readable by the tracker's
 * user), one hex hash per line; SIGHUP reloads it. Started as root it would chroot and setuid to
 * `nobody` itself (it refuses `-u root`), and that uid change clears the kernel's parent-death signal,
 * leaving it behind if the test run crashes; so under root it is started as nobody (65534) directly.
 * opentracker only trusts source IPs: every loopback client is listed as 127.0.0.1:its-port.
 */
export async function startOpentracker(options: OpentrackerOptions = {}): Promise<OpenTracker> {
  requireBinary("opentracker");
  const dir = await makeTempDir("ripple-opentracker-");
  await chmod(dir, 0o755);
  const whitelist = new Set((options.infoHashes ?? []).map((h) => h.toLowerCase()));
  // opentracker maps the file and reports an empty one as "Can't open accesslist file"; a dummy line
  // keeps it loadable until allow() adds real hashes.
  const writeWhitelist = async () => {
    const lines = whitelist.size > 0 ? [...whitelist] : ["0".repeat(40)];
    await writeFile(join(dir, "whitelist.txt"), `${lines.join("\n")}\n`, { mode: 0o644 });
  };
  await writeWhitelist();
  const port = options.port ?? (await freePort({ udp: true }));
  const p = await spawnManaged(
    ["opentracker", "-i", "127.0.0.1", "-p", String(port), "-P", String(port), "-d", dir, "-w", "whitelist.txt"],
    { name: `opentracker :${port}`, cwd: dir, tempDirs: [dir], stopGraceMs: 2000, runAs: NOBODY },
  );
  const base = `http://127.0.0.1:${port}`;

  const get = async (path: string): Promise<BValue> => {
    const res = await fetch(`${base}${path}`);
    const body = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) throw new Error(`opentracker ${path}: HTTP ${res.status}`);
    return bdecode(body);
  };
  const announce = async (hex: string, extra: string): Promise<BValue> =>
    get(`/announce?info_hash=${percentEncodeHex(hex)}&peer_id=${PROBE_PEER_ID}&port=${PROBE_PORT}&uploaded=0&downloaded=0&compact=1${extra}`);
  const failureOf = (reply: BValue): string | undefined => {
    const f = dictGet(reply, "failure reason");
    return f instanceof Uint8Array ? new TextDecoder().decode(f) : undefined;
  };
  // A `stopped` announce for a peer the tracker does not hold has no side effect: a cheap "is it allowed?".
  const isAllowed = async (hex: string) => failureOf(await announce(hex, "&left=0&event=stopped")) === undefined;

  const tracker: Omit<OpenTracker, keyof RealProcessHandle> = {
    port,
    announceUrl: `${base}/announce`,
    udpUrl: `udp://127.0.0.1:${port}/announce`,
    async allow(...hashes) {
      for (const h of hashes) whitelist.add(h.toLowerCase());
      await writeWhitelist();
      process.kill(p.pid, "SIGHUP");
      for (const h of hashes) await waitFor(() => isAllowed(h), { what: `opentracker to whitelist ${h}`, timeoutMs: 20_000 });
    },
    async peersOf(hex) {
      const reply = await announce(hex, "&left=1&numwant=200&event=started");
      await announce(hex, "&left=1&event=stopped");
      const failure = failureOf(reply);
      if (failure !== undefined) throw new Error(`opentracker refused ${hex}: ${failure}`);
      const compact = getBytes(reply, "peers");
      const peers: TrackerPeer[] = [];
      for (let i = 0; i + 6 <= compact.length; i += 6) {
        const host = compact.subarray(i, i + 4).join(".");
        const peerPort = ((compact[i + 4] ?? 0) << 8) | (compact[i + 5] ?? 0);
        if (!(host === "127.0.0.1" && peerPort === PROBE_PORT)) peers.push({ host, port: peerPort });
      }
      return peers;
    },
    async scrape(hex) {
      const files = dictGet(await get(`/scrape?info_hash=${percentEncodeHex(hex)}`), "files");
      const entry = isDict(files) ? [...files.entries.values()][0] : undefined;
      if (entry === undefined) return { complete: 0, incomplete: 0, downloaded: 0 };
      return { complete: getNumber(entry, "complete"), incomplete: getNumber(entry, "incomplete"), downloaded: getNumber(entry, "downloaded") };
    },
    async waitForPeer(hex, peerPort, opts = {}) {
      await waitFor(
        async () => {
          assertRunning(p);
          return (await tracker.peersOf(hex)).some((peer) => peer.host === "127.0.0.1" && peer.port === peerPort);
        },
        // One probe every 100 ms is plenty and keeps the tracker log readable.
        { what: `opentracker to list 127.0.0.1:${peerPort} for ${hex}`, timeoutMs: opts.timeoutMs ?? 20_000, intervalMs: 100 },
      );
    },
  };

  return startWith(p, async () => {
    await waitForPort(port, { what: `opentracker on 127.0.0.1:${port}`, check: () => assertRunning(p) });
    // The whitelist is loaded by a helper thread; wait until it is in effect.
    for (const h of whitelist) await waitFor(() => isAllowed(h), { what: `opentracker to load its whitelist (${h})`, timeoutMs: 20_000 });
    return { ...handle(p, {}), ...tracker };
  });
}

// ---------------------------------------------------------------------------------------------------------
// aria2c

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

// ---------------------------------------------------------------------------------------------------------
// Transmission

/** The fields of Transmission's `torrent-get` the harness looks at. */
export interface TransmissionTorrentState {
  /** 0 stopped, 1 check wait, 2 checking, 3 download wait, 4 downloading, 5 seed wait, 6 seeding. */
  status: number;
  percentDone: number;
  leftUntilDone: number;
  /** 0 ok, 1 tracker warning, 2 tracker error, 3 local error. */
  error: number;
  errorString: string;
  peersConnected: number;
  recheckProgress: number;
}

/** A transmission-daemon with one torrent, driven over its JSON RPC on 127.0.0.1:rpcPort. */
export interface TransmissionPeer extends RealLeecher {
  readonly rpcPort: number;
  /** Raw RPC call (`torrent-get`, `torrent-set`, ...); returns `arguments`. */
  rpc(method: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  state(): Promise<TransmissionTorrentState>;
}

/** Options for {@link startTransmissionSeeder} / {@link startTransmissionLeecher}. */
export interface TransmissionOptions {
  torrentPath: string;
  dataDir: string;
  /** Peer port (TCP and UDP); default a free one. */
  port?: number;
  /** Extra settings.json entries, merged over the loopback defaults. */
  settings?: Record<string, unknown>;
  /** How long to wait for startup and (seeder) verification; default 20000 ms. */
  timeoutMs?: number;
  /** Seeder only: skip the data presence check and do not wait for 100 % (a partial seed). */
  allowIncomplete?: boolean;
}

// Transmission RPC torrent status values (tr_torrent_activity).
const TR_STATUS_CHECK_WAIT = 1;
const TR_STATUS_CHECK = 2;
const TR_STATUS_DOWNLOAD = 4;
const TR_STATUS_SEED = 6;

/**
 * transmission-daemon 3.00 settings that keep it on loopback with discovery off. `encryption: 0` prefers
 * plaintext (tests of MSE/PE set 2, required); `rename-partial-files: false` so a leecher's files keep their names.
 */
function transmissionSettings(o: TransmissionOptions, port: number, rpcPort: number): Record<string, unknown> {
  return {
    "dht-enabled": false,
    "lpd-enabled": false,
    "pex-enabled": false,
    "utp-enabled": false,
    "port-forwarding-enabled": false,
    "bind-address-ipv4": "127.0.0.1",
    "bind-address-ipv6": "::1",
    "peer-port": port,
    "peer-port-random-on-start": false,
    "rpc-enabled": true,
    "rpc-bind-address": "127.0.0.1",
    "rpc-port": rpcPort,
    "rpc-authentication-required": false,
    "rpc-whitelist-enabled": true,
    "rpc-whitelist": "127.0.0.1",
    "rpc-host-whitelist-enabled": false,
    "download-dir": o.dataDir,
    "incomplete-dir-enabled": false,
    "watch-dir-enabled": false,
    "blocklist-enabled": false,
    "encryption": 0,
    "rename-partial-files": false,
    "start-added-torrents": true,
    "ratio-limit-enabled": false,
    "idle-seeding-limit-enabled": false,
    "download-queue-enabled": false,
    "seed-queue-enabled": false,
    "queue-stalled-enabled": false,
    "scrape-paused-torrents-enabled": false,
    "trash-original-torrent-files": false,
    "script-torrent-done-enabled": false,
    "message-level": 2,
    ...o.settings,
  };
}

async function startTransmission(o: TransmissionOptions, role: "seeder" | "leecher"): Promise<{ peer: TransmissionPeer; id: number }> {
  requireBinary("transmission-daemon");
  const timeoutMs = o.timeoutMs ?? 20_000;
  // Transmission also opens a UDP socket on the peer port (uTP/DHT socket, idle with both off).
  const port = o.port ?? (await freePort({ udp: true }));
  const rpcPort = await freePort();
  const configDir = await makeTempDir("ripple-transmission-");
  await mkdir(o.dataDir, { recursive: true });
  await writeFile(join(configDir, "settings.json"), JSON.stringify(transmissionSettings(o, port, rpcPort), null, 2));
  const p = await spawnManaged(["transmission-daemon", "--foreground", "--config-dir", configDir, "--log-info"], {
    name: `transmission ${role} :${port}`,
    tempDirs: [configDir],
    env: { HOME: configDir },
  });

  const url = `http://127.0.0.1:${rpcPort}/transmission/rpc`;
  let sessionId = "";
  const rpc = async (method: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "X-Transmission-Session-Id": sessionId, "Content-Type": "application/json" },
        body: JSON.stringify({ method, arguments: args }),
      });
      // CSRF protection: the first call is answered 409 with the session id to use.
      if (res.status === 409) {
        sessionId = res.headers.get("X-Transmission-Session-Id") ?? "";
        continue;
      }
      if (!res.ok) throw new Error(`transmission rpc ${method}: HTTP ${res.status}`);
      const body = (await res.json()) as { result: string; arguments?: Record<string, unknown> };
      if (body.result !== "success") throw new Error(`transmission rpc ${method}: ${body.result}`);
      return body.arguments ?? {};
    }
    throw new Error(`transmission rpc ${method}: no session id after 409`);
  };

  return startWith(p, async () => {
    await waitForPort(rpcPort, { what: `transmission rpc on 127.0.0.1:${rpcPort}`, timeoutMs, check: () => assertRunning(p) });
    const metainfo = Buffer.from(await readFile(o.torrentPath)).toString("base64");
    const added = await rpc("torrent-add", { metainfo, "download-dir": o.dataDir, paused: false });
    const entry = (added["torrent-added"] ?? added["torrent-duplicate"]) as { id: number } | undefined;
    if (entry === undefined) throw new Error(`transmission torrent-add returned no torrent: ${JSON.stringify(added)}`);
    const id = entry.id;
    const state = async (): Promise<TransmissionTorrentState> => {
      const got = await rpc("torrent-get", {
        ids: [id],
        fields: ["status", "percentDone", "leftUntilDone", "error", "errorString", "peersConnected", "recheckProgress"],
      });
      const t = (got.torrents as TransmissionTorrentState[] | undefined)?.[0];
      if (t === undefined) throw new Error(`transmission lost torrent ${id}`);
      // error 3 = local error (e.g. data dir unreadable); tracker errors (1, 2) are not fatal here.
      if (t.error === 3) throw new Error(`transmission local error: ${t.errorString}`);
      return t;
    };
    let last: TransmissionTorrentState | undefined;
    const peer: TransmissionPeer = {
      ...handle(p, {}),
      port,
      rpcPort,
      rpc,
      state,
      async waitDone(opts: { timeoutMs?: number } = {}) {
        await waitFor(
          async () => {
            assertRunning(p);
            last = await state();
            return last.leftUntilDone === 0 && last.percentDone === 1;
          },
          {
            what: `${p.name} to complete`,
            timeoutMs: opts.timeoutMs ?? 30_000,
            intervalMs: 100,
            logs: () => `last torrent state: ${JSON.stringify(last)}\n${liveLogTails()}`,
          },
        );
      },
    };
    return { peer, id };
  });
}

/**
 * transmission-daemon 3.00 seeding existing data in `dataDir`. Resolves once it has verified the data and
 * is in the seeding state with its peer port listening.
 *
 * Findings on 3.00 over loopback (see also docs/architecture.md, "Pitfalls already met"):
 * - It announces 127.0.0.1 peers from trackers as unreachable and never dials them; it does accept
 *   incoming loopback connections. So a leecher must dial it (aria2c does, from the tracker's list).
 * - A new peer is unchoked only at the next rechoke pass (every 10 s), so the first block arrives up to
 *   ~10 s after the leecher connects. Budget for it in timeouts; do not sleep for it.
 * - After one loopback peer has finished, it refuses further 127.0.0.1 peers: use one seeder per leecher.
 * - The status is "Idle" in transmission-remote -l when no peer is active; the RPC status is still 6.
 */
export async function startTransmissionSeeder(options: TransmissionOptions): Promise<TransmissionPeer> {
  if (!options.allowIncomplete) await assertSeedDataPresent(options.torrentPath, options.dataDir);
  const { peer } = await startTransmission(options, "seeder");
  const timeoutMs = options.timeoutMs ?? 20_000;
  return startWith(peer.process, async () => {
    let last: TransmissionTorrentState | undefined;
    let sawCheck = false;
    await waitFor(
      async () => {
        assertRunning(peer.process);
        last = await peer.state();
        sawCheck ||= last.status === TR_STATUS_CHECK_WAIT || last.status === TR_STATUS_CHECK;
        if (options.allowIncomplete) return last.status !== TR_STATUS_CHECK_WAIT && last.status !== TR_STATUS_CHECK;
        // After a verification pass, "downloading" means pieces failed their hash check.
        if (sawCheck && last.status === TR_STATUS_DOWNLOAD && last.leftUntilDone > 0) {
          throw new Error(`${peer.process.name}: data in ${options.dataDir} failed verification (${JSON.stringify(last)})`);
        }
        return last.status === TR_STATUS_SEED && last.leftUntilDone === 0;
      },
      {
        what: `${peer.process.name} to verify its data and seed`,
        timeoutMs,
        intervalMs: 100,
        logs: () => `last torrent state: ${JSON.stringify(last)}\n${liveLogTails()}`,
      },
    );
    // Checked passively: a probe connection to the peer port is avoided so as not to disturb its
    // per-address peer bookkeeping (see the loopback findings above).
    await waitFor(() => isListening(peer.port), { what: `transmission to listen on 127.0.0.1:${peer.port}`, timeoutMs });
    return peer;
  });
}

/**
 * transmission-daemon 3.00 downloading into `dataDir`. It will not dial 127.0.0.1 peers from a tracker,
 * so the seeder must connect to it (`port`). `waitDone` waits until the RPC reports 100 % verified; call
 * `stop()` before comparing files so its write cache is flushed. It does not create 0-byte files.
 */
export async function startTransmissionLeecher(options: TransmissionOptions): Promise<TransmissionPeer> {
  const { peer } = await startTransmission(options, "leecher");
  return startWith(peer.process, async () => {
    await waitFor(() => isListening(peer.port), { what: `transmission to listen on 127.0.0.1:${peer.port}`, timeoutMs: options.timeoutMs ?? 20_000 });
    return peer;
  });
}

/** Whether a TCP socket is in LISTEN state on 127.0.0.1:port, read from /proc/net/tcp (no connection made). */
export async function isListening(port: number): Promise<boolean> {
  let table: string;
  try {
    table = await readFile("/proc/net/tcp", "utf8");
  } catch {
    // Not Linux: fall back to a real connect.
    return isPortOpen(port);
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  // local_address "0100007F:PORT" (127.0.0.1, little-endian) or "00000000:PORT", state 0A = LISTEN.
  return table.split("\n").some((line) => {
    const cols = line.trim().split(/\s+/);
    return (cols[1] === `0100007F:${hexPort}` || cols[1] === `00000000:${hexPort}`) && cols[3] === "0A";
  });
}
