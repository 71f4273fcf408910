// Test helpers for `ripple daemon` in process: a Daemon with its Web API on 127.0.0.1 (API key auth, a
// @ctrl/qbittorrent client at hand), a loopback swarm (ripple's tracker + an in-process ripple seeder),
// and waiting on the API's state. Everything made is closed and removed after each test.

import { QBittorrent } from "@ctrl/qbittorrent";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Daemon, startHttpApi, type AuthOptions } from "../../src/daemon/index.ts";
import { startTrackerServer, type TrackerServer } from "../../src/tracker/index.ts";
import { silentLogger, type Clock } from "../../src/util/index.ts";
import { waitFor } from "./process.ts";
import { makeTempDir } from "./temp-dir.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles, type TorrentFixture } from "./torrent-fixture.ts";
import { useClients } from "./torrents.ts";

export const API_KEY = "test-api-key-0123456789";

export interface DaemonSetup {
  daemon: Daemon;
  url: string;
  dir: string;
  qbt: QBittorrent;
  /** fetch against the API with the API key (unless headers say otherwise). */
  api(path: string, init?: RequestInit): Promise<Response>;
}

/** Registers the cleanups (afterEach, newest first) and returns the helpers. */
export function useDaemons() {
  const { client, defer } = useClients();
  let tracker: TrackerServer | undefined;

  /** A temp dir removed after the test (after the daemons and clients using it are closed). */
  async function tempDirForTest(prefix: string): Promise<string> {
    const dir = await makeTempDir(prefix);
    defer(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  async function startDaemon(
    o: { maxActiveDownloads?: number; auth?: Partial<AuthOptions>; dir?: string; shareLimits?: { ratio?: number; seedingTimeMin?: number }; clock?: Clock } = {},
  ): Promise<DaemonSetup> {
    const dir = o.dir ?? (await tempDirForTest("ripple-daemon-"));
    const daemon = Daemon.open({
      stateDir: join(dir, "state"),
      downloadDir: join(dir, "downloads"),
      client: { port: 0, host: "127.0.0.1", encryption: "plain" },
      ...(o.maxActiveDownloads !== undefined && { maxActiveDownloads: o.maxActiveDownloads }),
      ...(o.shareLimits && { shareLimits: o.shareLimits }),
      ...(o.clock && { clock: o.clock }),
      log: silentLogger,
    });
    const server = startHttpApi({
      daemon,
      host: "127.0.0.1",
      port: 0,
      auth: { apiKeys: [API_KEY], bypassLocalhost: false, ...o.auth },
      prefs: { listenPort: daemon.client.port, dht: false, encryption: "plain", maxActiveDownloads: o.maxActiveDownloads ?? 3, ...o.shareLimits },
      log: silentLogger,
    });
    defer(() => daemon.close());
    defer(() => server.stop(true));
    const url = `http://127.0.0.1:${server.port}`;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${url}/api/v2${path}`, { ...init, headers: { authorization: `Bearer ${API_KEY}`, ...(init.headers as Record<string, string>) } });
    return { daemon, url, dir, qbt: new QBittorrent({ baseUrl: url, apiKey: API_KEY, timeout: 20_000 }), api };
  }

  /** A ripple seeding `fixture` from a temp dir, registered with the tracker before this resolves. */
  async function startSeeder(fixture: TorrentFixture): Promise<void> {
    const dir = await tempDirForTest("ripple-seed-");
    await writeFixtureFiles(fixture, dir);
    const torrent = client().addTorrent(fixture.meta, { outDir: dir, seedOnly: true });
    await torrent.once("tracker");
  }

  /** The test's tracker (started on first use), HTTP on 127.0.0.1. */
  async function trackerUrl(): Promise<string> {
    if (!tracker) {
      const t = await startTrackerServer({ host: "127.0.0.1", port: 0, http: true, udp: false, intervalSec: 60, log: silentLogger });
      tracker = t;
      defer(async () => {
        await t.stop();
        tracker = undefined;
      });
    }
    return `http://127.0.0.1:${tracker.httpPort}/announce`;
  }

  /** A two-file torrent (370,001 bytes, 32 KiB pieces) announced to the test's tracker. */
  async function swarmFixture(name: string, seed: number): Promise<TorrentFixture> {
    return makeTorrentFixture({
      name,
      pieceLength: 32 * 1024,
      files: [
        { path: ["a.bin"], data: patternBytes(300_001, seed) },
        { path: ["sub", "b.bin"], data: patternBytes(70_000, seed + 1) },
      ],
      announce: await trackerUrl(),
    });
  }

  return { client, defer, tempDirForTest, startDaemon, startSeeder, trackerUrl, swarmFixture };
}

/** Polls /torrents/info until the torrent's row satisfies `cond` (HTTP state, not a sleep). */
export async function waitForRow(s: DaemonSetup, hash: string, cond: (row: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
  let row: Record<string, unknown> | undefined;
  await waitFor(
    async () => {
      const rows = (await (await s.api(`/torrents/info?hashes=${hash}`)).json()) as Record<string, unknown>[];
      row = rows[0];
      return row !== undefined && cond(row);
    },
    { what: `${hash.slice(0, 8)}: ${what}`, timeoutMs: 45_000, logs: () => `last row: ${JSON.stringify(row)}` },
  );
  return row!;
}
