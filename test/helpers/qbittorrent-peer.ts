// Test helper: qbittorrent-nox (4.5, Debian) with one torrent, on 127.0.0.1 with DHT, LSD, PEX, UPnP/NAT-PMP
// off and TCP only (or uTP only), driven over its Web API on 127.0.0.1 (no login from localhost).
// Test-only; loopback only.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { type ManagedProcess, makeTempDir, requireBinary, spawnManaged, waitFor } from "./process.ts";

export interface QbittorrentOptions {
  torrentPath: string;
  /** Save path: holds `<name>/...` (a seeder's data, a leecher's download). */
  dataDir: string;
  infoHash: string;
  /** BitTorrent\Session\Encryption: 0 allow, 1 require, 2 disable. */
  encryption: 0 | 1 | 2;
  /** BitTorrent\Session\BTProtocol: TCP (default) or UTP (uTP only). */
  protocol?: "TCP" | "UTP";
}

export interface QbittorrentPeer extends AsyncDisposable {
  readonly process: ManagedProcess;
  readonly port: number;
  /** The torrent's entry in /api/v2/torrents/info (progress 0..1, state, ...). */
  info(): Promise<{ progress: number; state: string }>;
  /** Resolves once the torrent is complete and verified (progress 1, not checking). */
  waitComplete(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** qBittorrent 4.5 settings: loopback only, discovery and port mapping off, TCP only, Web API without auth from localhost. */
function config(o: QbittorrentOptions, port: number, webPort: number): string {
  return `[LegalNotice]
Accepted=true

[BitTorrent]
Session\\DHTEnabled=false
Session\\LSDEnabled=false
Session\\PeXEnabled=false
Session\\Encryption=${o.encryption}
Session\\Port=${port}
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress=127.0.0.1
Session\\BTProtocol=${o.protocol ?? "TCP"}
Session\\QueueingSystemEnabled=false
Session\\DefaultSavePath=${o.dataDir}
Session\\TempPathEnabled=false
Session\\AddTrackersEnabled=false
Session\\MultiConnectionsPerIp=true

[Network]
PortForwardingEnabled=false

[Preferences]
Connection\\UPnP=false
Connection\\ResolvePeerCountries=false
General\\Locale=en
WebUI\\Enabled=true
WebUI\\Address=127.0.0.1
WebUI\\Port=${webPort}
WebUI\\LocalHostAuth=false
WebUI\\CSRFProtection=false
WebUI\\HostHeaderValidation=false
WebUI\\UseUPnP=false
`;
}

const DONE_STATES = new Set(["uploading", "stalledUP", "pausedUP", "queuedUP", "forcedUP"]);

/** Starts qbittorrent-nox with a fresh profile, adds the torrent through the Web API and returns once it is added. */
export async function startQbittorrent(o: QbittorrentOptions): Promise<QbittorrentPeer> {
  requireBinary("qbittorrent-nox");
  const profile = await makeTempDir("ripple-qbittorrent-");
  const [port, webPort] = [await freePort(), await freePort()];
  await mkdir(join(profile, "qBittorrent", "config"), { recursive: true });
  await mkdir(o.dataDir, { recursive: true });
  await writeFile(join(profile, "qBittorrent", "config", "qBittorrent.conf"), config(o, port, webPort));
  const p = await spawnManaged(["qbittorrent-nox", `--profile=${profile}`], { name: `qbittorrent :${port}`, tempDirs: [profile], env: { HOME: profile } });
  const api = `http://127.0.0.1:${webPort}/api/v2`;
  const info = async () => {
    const list = (await (await fetch(`${api}/torrents/info?hashes=${o.infoHash}`)).json()) as { progress: number; state: string }[];
    if (list[0] === undefined) throw new Error(`qbittorrent lost torrent ${o.infoHash}`);
    return list[0];
  };
  const peer: QbittorrentPeer = {
    process: p,
    port,
    info,
    async waitComplete(timeoutMs = 45_000) {
      let last: unknown;
      await waitFor(
        async () => {
          if (p.hasExited) throw new Error(`${p.name} exited:\n${p.logTail(30)}`);
          const t = await info();
          last = t;
          return t.progress === 1 && DONE_STATES.has(t.state);
        },
        { what: `${p.name} to have the whole torrent`, timeoutMs, intervalMs: 100, logs: () => `last state: ${JSON.stringify(last)}` },
      );
    },
    stop: () => p.stop(),
    [Symbol.asyncDispose]: () => p.stop(),
  };
  try {
    await waitFor(async () => {
      if (p.hasExited) throw new Error(`${p.name} exited:\n${p.logTail(30)}`);
      return (await fetch(`${api}/app/version`).then((r) => r.ok, () => false));
    }, { what: `${p.name} Web API on 127.0.0.1:${webPort}`, timeoutMs: 20_000 });
    const form = new FormData();
    form.append("torrents", new Blob([await readFile(o.torrentPath)]), "t.torrent");
    form.append("savepath", o.dataDir);
    form.append("paused", "false");
    const res = await fetch(`${api}/torrents/add`, { method: "POST", body: form });
    if (!res.ok || (await res.text()) !== "Ok.") throw new Error(`qbittorrent torrents/add failed: HTTP ${res.status}`);
    // Past its checks (a dial during them is hung up on): downloading, stalled or seeding.
    const ready = /^(downloading|stalledDL|uploading|stalledUP)$/;
    await waitFor(() => info().then((t) => ready.test(t.state), () => false), { what: `${p.name} to start the torrent`, timeoutMs: 20_000 });
  } catch (err) {
    await p.stop();
    throw err;
  }
  return peer;
}
