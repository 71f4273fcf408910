// uTP (BEP 29) against real clients on 127.0.0.1 with discovery off, each seeding to ripple and leeching
// from it, byte-identical: libtorrent with TCP off both ways and qBittorrent with uTP only (ripple dials
// them with its default dial preference: TCP first on loopback, then uTP), and Transmission with uTP on
// (ripple dials it over uTP only).

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { missingLibtorrent, startLibtorrent } from "../helpers/libtorrent-peer.ts";
import { compareTrees, createTorrentWithMktorrent, freePort, makePayloadTree, missingBinaries, startTransmissionLeecher, startTransmissionSeeder, stopAllManaged, tempDir } from "../helpers/real-peers.ts";
import { startQbittorrent } from "../helpers/qbittorrent-peer.ts";
import { startRipple, type RippleProcess } from "../helpers/ripple-process.ts";

afterEach(stopAllManaged);

/** Nobody listens on port 1. */
const NO_TRACKER = "http://127.0.0.1:1/announce";

async function payloadTorrent(dir: string) {
  const payload = await makePayloadTree(join(dir, "seed"));
  const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl: NO_TRACKER, outPath: join(dir, "p.torrent") });
  return { payload, torrent };
}

const transports = (r: RippleProcess) =>
  r.events().filter((e) => e.event === "peer" && e.action === "connected").map((e) => (e as { transport?: string }).transport);

describe("libtorrent over uTP only", () => {
  test.skipIf(missingBinaries("mktorrent") || missingLibtorrent())("seeding to ripple: byte-identical", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    const port = await freePort();
    await using _lt = await startLibtorrent({ mode: "seed", torrentPath: torrent.path, dataDir: payload.dir, ip: "127.0.0.1", port, encryption: "enabled", utpOnly: true });
    const out = join(work.path, "leech");
    const args = ["download", torrent.path, "-o", out, "--port", "0", "--host", "127.0.0.1", "--no-trackers", "--peer", `127.0.0.1:${port}`];
    await using ripple = await startRipple(args, "ripple leecher");
    await ripple.waitEvent((e) => e.event === "done", "the download to finish", 60_000);
    expect(transports(ripple)).toContain("utp");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);

  test.skipIf(missingBinaries("mktorrent") || missingLibtorrent())("leeching from ripple seed: byte-identical", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    await using ripple = await startRipple(["seed", torrent.path, "-o", payload.dir, "--port", "0", "--no-trackers", "--host", "127.0.0.1"], "ripple seeder");
    const port = await ripple.port();
    await ripple.waitEvent((e) => e.event === "seeding", "seeding");
    const out = join(work.path, "leech");
    await using lt = await startLibtorrent({ mode: "leech", torrentPath: torrent.path, dataDir: out, ip: "127.0.0.1", port: await freePort(), encryption: "enabled", peers: [`127.0.0.1:${port}`], utpOnly: true });
    await lt.waitFor("exited", 60_000);
    expect(transports(ripple)).toContain("utp");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);
});

describe("Transmission with uTP on (utp-enabled), ripple dialing uTP only", () => {
  test.skipIf(missingBinaries("mktorrent", "transmission-daemon"))("seeding to ripple: byte-identical over uTP", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    await using seeder = await startTransmissionSeeder({ torrentPath: torrent.path, dataDir: payload.dir, settings: { "utp-enabled": true } });
    const out = join(work.path, "leech");
    const args = ["download", torrent.path, "-o", out, "--port", "0", "--host", "127.0.0.1", "--no-trackers", "--utp-mode", "only", "--peer", `127.0.0.1:${seeder.port}`];
    await using ripple = await startRipple(args, "ripple leecher");
    await ripple.waitEvent((e) => e.event === "done", "the download to finish", 60_000);
    expect(transports(ripple)).toContain("utp");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);

  test.skipIf(missingBinaries("mktorrent", "transmission-daemon"))("leeching from ripple seed (ripple dials it): byte-identical over uTP", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    const out = join(work.path, "leech");
    await using leecher = await startTransmissionLeecher({ torrentPath: torrent.path, dataDir: out, settings: { "utp-enabled": true } });
    const args = ["seed", torrent.path, "-o", payload.dir, "--port", "0", "--host", "127.0.0.1", "--no-trackers", "--utp-mode", "only", "--peer", `127.0.0.1:${leecher.port}`];
    await using ripple = await startRipple(args, "ripple seeder");
    await leecher.waitDone({ timeoutMs: 60_000 });
    await leecher.stop(); // flushes Transmission's write cache
    expect(transports(ripple)).toContain("utp");
    // Transmission does not create 0-byte files.
    expect(await compareTrees(payload.root, join(out, torrent.name), { ignoreEmptyFiles: true })).toEqual([]);
  }, 120_000);
});

describe("qBittorrent over uTP only (BTProtocol=UTP)", () => {
  test.skipIf(missingBinaries("mktorrent", "qbittorrent-nox"))("seeding to ripple: byte-identical over uTP", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    await using qbt = await startQbittorrent({ torrentPath: torrent.path, dataDir: payload.dir, infoHash: torrent.infoHash, encryption: 0, protocol: "UTP" });
    await qbt.waitComplete(30_000); // it has checked the data and seeds
    const out = join(work.path, "leech");
    const args = ["download", torrent.path, "-o", out, "--port", "0", "--host", "127.0.0.1", "--no-trackers", "--peer", `127.0.0.1:${qbt.port}`];
    await using ripple = await startRipple(args, "ripple leecher");
    await ripple.waitEvent((e) => e.event === "done", "the download to finish", 60_000);
    expect(transports(ripple)).toContain("utp");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);

  test.skipIf(missingBinaries("mktorrent", "qbittorrent-nox"))("leeching from ripple seed (ripple dials it): byte-identical over uTP", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    const out = join(work.path, "leech");
    await using qbt = await startQbittorrent({ torrentPath: torrent.path, dataDir: out, infoHash: torrent.infoHash, encryption: 0, protocol: "UTP" });
    const args = ["seed", torrent.path, "-o", payload.dir, "--port", "0", "--host", "127.0.0.1", "--no-trackers", "--peer", `127.0.0.1:${qbt.port}`];
    await using ripple = await startRipple(args, "ripple seeder");
    await qbt.waitComplete(60_000);
    await qbt.stop(); // flushes its files
    expect(transports(ripple)).toContain("utp");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);
});
