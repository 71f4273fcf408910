// Real clients (aria2c, Transmission) find each other through ripple's own tracker, started in-process on
// 127.0.0.1: the opentracker tests of harness.test.ts with ripple as the tracker, over HTTP and UDP (BEP 15).

import { afterEach, describe, expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fromHex, percentEncodeBytes, silentLogger, utf8 } from "../../src/util/index.ts";
import { parseAnnounceResponse, startTrackerServer, type TrackerServer } from "../../src/tracker/index.ts";
import {
  compareTrees,
  createTorrentWithMktorrent,
  freePort,
  makePayloadTree,
  missingBinaries,
  startAria2Leecher,
  startAria2Seeder,
  startTransmissionLeecher,
  stopAllManaged,
  tempDir,
  waitFor,
} from "../helpers/real-peers.ts";

afterEach(stopAllManaged);

const PROBE_PEER_ID = utf8("-RT0001-ripple-probe");
const PROBE_PORT = 1;
/** Also set here, not only by package.json's --timeout: a bare `bun test` of this file (5 s default) must pass. */
const TEST_TIMEOUT_MS = 90_000;

/** The tracker in-process; `await using` stops it. */
async function rippleTracker(): Promise<TrackerServer & AsyncDisposable> {
  const server = await startTrackerServer({ host: "127.0.0.1", port: 0, http: true, udp: true, intervalSec: 60, log: silentLogger });
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.stop() });
}

/** The ports the tracker lists for a hash, asked over HTTP by a probe leecher that withdraws at once. */
async function peerPortsOf(server: TrackerServer, infoHashHex: string): Promise<number[]> {
  const base = `http://127.0.0.1:${server.httpPort}/announce?info_hash=${percentEncodeBytes(fromHex(infoHashHex)!)}` +
    `&peer_id=${percentEncodeBytes(PROBE_PEER_ID)}&port=${PROBE_PORT}&uploaded=0&downloaded=0&left=1`;
  const reply = parseAnnounceResponse(new Uint8Array(await (await fetch(`${base}&numwant=200`)).arrayBuffer()));
  await fetch(`${base}&event=stopped`);
  return reply.peers.map((p) => p.port);
}

async function waitForPeer(server: TrackerServer, infoHashHex: string, port: number): Promise<void> {
  await waitFor(async () => (await peerPortsOf(server, infoHashHex)).includes(port), {
    what: `the ripple tracker to list 127.0.0.1:${port} (stats ${JSON.stringify(server.stats())})`,
    timeoutMs: 20_000,
    intervalMs: 100,
  });
}

/**
 * aria2c speaks UDP tracker only through its DHT socket ("udp is not supported yet" with --enable-dht=false).
 * So the UDP test turns DHT on yet keeps it silent: the torrent is private (aria2 then does no DHT for it:
 * no PORT messages, no lookups), there is no entry point, the routing table file is a fresh temp path (not
 * ~/.aria2/dht.dat), and the socket is bound to 127.0.0.1 by --interface. The later flag wins in aria2.
 */
async function aria2UdpTrackerArgs(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const port = await freePort({ udp: true });
  return ["--enable-dht=true", `--dht-listen-port=${port}`, `--dht-file-path=${join(dir, "dht.dat")}`];
}

describe("real clients through the ripple tracker", () => {
  for (const transport of ["http", "udp"] as const) {
    test.skipIf(missingBinaries("mktorrent", "aria2c"))(
      `aria2c seeder -> aria2c leecher via ${transport.toUpperCase()}: byte-identical multi-file download`,
      async () => {
        await using work = await tempDir();
        await using tracker = await rippleTracker();
        const announceUrl = transport === "http" ? `http://127.0.0.1:${tracker.httpPort}/announce` : `udp://127.0.0.1:${tracker.udpPort}/announce`;
        const payload = await makePayloadTree(join(work.path, "seed"));
        // UDP: private, see aria2UdpTrackerArgs.
        const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl, outPath: join(work.path, "payload.torrent"), private: transport === "udp" });
        const extra = async (name: string) => (transport === "udp" ? aria2UdpTrackerArgs(join(work.path, name)) : []);

        await using seeder = await startAria2Seeder({ torrentPath: torrent.path, dataDir: payload.dir, extraArgs: await extra("seeder-dht") });
        await waitForPeer(tracker, torrent.infoHash, seeder.port);
        expect(tracker.stats().seeders).toBe(1);

        const out = join(work.path, "leech");
        await using leecher = await startAria2Leecher({ torrentPath: torrent.path, dataDir: out, extraArgs: await extra("leecher-dht") });
        await leecher.waitDone({ timeoutMs: 30_000 });

        expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
        const stats = tracker.stats();
        if (transport === "udp") expect(stats.udpAnnounces).toBeGreaterThanOrEqual(2);
        else expect(stats.httpAnnounces).toBeGreaterThanOrEqual(2);
      },
      TEST_TIMEOUT_MS,
    );
  }

  // UDP: Transmission's own BEP 15 client announces over the first tier (udp), while aria2c, whose UDP
  // tracker support needs DHT, fails that tier and falls back to the second (http): one swarm, two transports.
  for (const transport of ["http", "udp"] as const) {
    test.skipIf(missingBinaries("mktorrent", "aria2c", "transmission-daemon"))(
      `aria2c seeder -> Transmission leecher (announcing over ${transport.toUpperCase()}): identical apart from the empty file`,
      async () => {
        await using work = await tempDir();
        await using tracker = await rippleTracker();
        const http = `http://127.0.0.1:${tracker.httpPort}/announce`;
        const payload = await makePayloadTree(join(work.path, "seed"));
        const torrent = await createTorrentWithMktorrent({
          sourcePath: payload.root,
          announceUrl: transport === "http" ? http : [`udp://127.0.0.1:${tracker.udpPort}/announce`, http],
          outPath: join(work.path, "payload.torrent"),
        });

        // Transmission will not dial a loopback seeder, so it announces first and the seeder dials it
        // (the seeder's first announce lists the leecher: seeders get only leechers).
        const out = join(work.path, "leech");
        await using leecher = await startTransmissionLeecher({ torrentPath: torrent.path, dataDir: out });
        await waitForPeer(tracker, torrent.infoHash, leecher.port);
        if (transport === "udp") expect(tracker.stats().udpAnnounces).toBeGreaterThanOrEqual(1);
        await using seeder = await startAria2Seeder({ torrentPath: torrent.path, dataDir: payload.dir });
        await leecher.waitDone({ timeoutMs: 40_000 });
        await leecher.stop(); // flushes Transmission's write cache
        void seeder;

        // Transmission does not create 0-byte files.
        expect(await compareTrees(payload.root, join(out, torrent.name), { ignoreEmptyFiles: true })).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );
  }
});
