// Test helper: a real opentracker on 127.0.0.1, and what it lists. Test-only; loopback only.

import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BValue, bdecode, dictGet, getBytes, getNumber, isDict } from "./mini-bencode.ts";
import { freePort, waitForPort } from "./ports.ts";
import { makeTempDir, requireBinary, spawnManaged, waitFor } from "./process.ts";
import { type RealProcessHandle, type TrackerPeer, handle, assertRunning, startWith } from "./real-process.ts";

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
