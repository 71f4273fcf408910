// Test helper: transmission-daemon as a seeder or leecher on 127.0.0.1, discovery off, driven over its RPC.
// Test-only; loopback only.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, waitForPort } from "./ports.ts";
import { liveLogTails, makeTempDir, requireBinary, spawnManaged, waitFor } from "./process.ts";
import { type RealLeecher, handle, assertRunning, startWith, isListening } from "./real-process.ts";
import { assertSeedDataPresent } from "./payload-tree.ts";

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
