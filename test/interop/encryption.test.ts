// Encrypted and IPv6 swarms with real clients on loopback, discovery off: libtorrent with encryption
// forced (pe_forced, RC4 only), Transmission with `encryption: 2` (required), aria2c with
// --bt-require-crypto, ripple against ripple on ::1, and a plaintext-only peer refused by
// `--encryption require` with the reason in its `peer` event. Every download must be byte-identical.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startFakeSeeder } from "../helpers/fake-peer.ts";
import { missingLibtorrent, startLibtorrent } from "../helpers/libtorrent-peer.ts";
import {
  compareTrees,
  createTorrentWithMktorrent,
  freePort,
  makePayloadTree,
  missingBinaries,
  startAria2Leecher,
  startAria2Seeder,
  startOpentracker,
  startTransmissionLeecher,
  startTransmissionSeeder,
  stopAllManaged,
  tempDir,
  readTorrentInfo,
} from "../helpers/real-peers.ts";
import { connectedEncryption, startRipple } from "../helpers/ripple-process.ts";

afterEach(stopAllManaged);

/** Nobody listens on port 1: clients that insist on announcing get a refused loopback connection. */
const NO_TRACKER = "http://127.0.0.1:1/announce";

async function payloadTorrent(dir: string, announceUrl = NO_TRACKER) {
  const payload = await makePayloadTree(join(dir, "seed"));
  const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl, outPath: join(dir, "p.torrent") });
  return { payload, torrent };
}

const isDone = (e: { event: string }) => e.event === "done";
const isSeeding = (e: { event: string }) => e.event === "seeding";

describe("libtorrent with encryption forced (RC4 only)", () => {
  test.skipIf(missingBinaries("mktorrent") || missingLibtorrent())("seeding to ripple: RC4, byte-identical", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    const port = await freePort();
    await using _lt = await startLibtorrent({ mode: "seed", torrentPath: torrent.path, dataDir: payload.dir, ip: "127.0.0.1", port, encryption: "forced" });
    const out = join(work.path, "leech");
    await using ripple = await startRipple(["download", torrent.path, "-o", out, "--port", "0", "--no-trackers", "--peer", `127.0.0.1:${port}`], "ripple leecher");
    await ripple.waitEvent(isDone, "the download to finish", 45_000);
    expect(connectedEncryption(ripple)).toContain("rc4");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);

  test.skipIf(missingBinaries("mktorrent") || missingLibtorrent())("leeching from ripple seed: RC4, byte-identical", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    await using ripple = await startRipple(["seed", torrent.path, "-o", payload.dir, "--port", "0", "--no-trackers", "--host", "127.0.0.1"], "ripple seeder");
    const port = await ripple.port();
    await ripple.waitEvent(isSeeding, "seeding");
    const out = join(work.path, "leech");
    await using lt = await startLibtorrent({ mode: "leech", torrentPath: torrent.path, dataDir: out, ip: "127.0.0.1", port: await freePort(), encryption: "forced", peers: [`127.0.0.1:${port}`] });
    await lt.waitFor("exited", 45_000);
    expect(connectedEncryption(ripple)).toContain("rc4");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);
});

describe("Transmission with encryption required (encryption: 2)", () => {
  test.skipIf(missingBinaries("mktorrent", "transmission-daemon"))("seeding to ripple: ripple dials it encrypted", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    await using seeder = await startTransmissionSeeder({ torrentPath: torrent.path, dataDir: payload.dir, settings: { encryption: 2 } });
    const out = join(work.path, "leech");
    await using ripple = await startRipple(["download", torrent.path, "-o", out, "--port", "0", "--no-trackers", "--peer", `127.0.0.1:${seeder.port}`], "ripple leecher");
    await ripple.waitEvent(isDone, "the download to finish", 50_000);
    expect(connectedEncryption(ripple)).toContain("rc4");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);

  test.skipIf(missingBinaries("mktorrent", "transmission-daemon"))("leeching from ripple seed: ripple dials it encrypted", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    const out = join(work.path, "leech");
    await using leecher = await startTransmissionLeecher({ torrentPath: torrent.path, dataDir: out, settings: { encryption: 2 } });
    await using ripple = await startRipple(["seed", torrent.path, "-o", payload.dir, "--port", "0", "--no-trackers", "--peer", `127.0.0.1:${leecher.port}`], "ripple seeder");
    await leecher.waitDone({ timeoutMs: 50_000 });
    await leecher.stop(); // flushes Transmission's write cache
    expect(connectedEncryption(ripple)).toContain("rc4");
    // Transmission does not create 0-byte files.
    expect(await compareTrees(payload.root, join(out, torrent.name), { ignoreEmptyFiles: true })).toEqual([]);
  }, 120_000);
});

describe("aria2c with --bt-require-crypto against ripple --encryption require", () => {
  const crypto = ["--bt-require-crypto=true", "--bt-min-crypto-level=arc4"];

  test.skipIf(missingBinaries("mktorrent", "aria2c", "opentracker"))("aria2c seeding to ripple (via opentracker)", async () => {
    await using work = await tempDir();
    await using tracker = await startOpentracker();
    const { payload, torrent } = await payloadTorrent(work.path, tracker.announceUrl);
    await tracker.allow(torrent.infoHash);
    await using seeder = await startAria2Seeder({ torrentPath: torrent.path, dataDir: payload.dir, extraArgs: crypto });
    await tracker.waitForPeer(torrent.infoHash, seeder.port);
    const out = join(work.path, "leech");
    await using ripple = await startRipple(["download", torrent.path, "-o", out, "--port", "0", "--host", "127.0.0.1", "--encryption", "require"], "ripple leecher");
    await ripple.waitEvent(isDone, "the download to finish", 45_000);
    expect(connectedEncryption(ripple)).toContain("rc4");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);

  test.skipIf(missingBinaries("mktorrent", "aria2c", "opentracker"))("aria2c leeching from ripple seed (via opentracker)", async () => {
    await using work = await tempDir();
    await using tracker = await startOpentracker();
    const { payload, torrent } = await payloadTorrent(work.path, tracker.announceUrl);
    await tracker.allow(torrent.infoHash);
    await using ripple = await startRipple(["seed", torrent.path, "-o", payload.dir, "--port", "0", "--host", "127.0.0.1", "--encryption", "require"], "ripple seeder");
    await tracker.waitForPeer(torrent.infoHash, await ripple.port());
    const out = join(work.path, "leech");
    await using leecher = await startAria2Leecher({ torrentPath: torrent.path, dataDir: out, extraArgs: crypto });
    await leecher.waitDone({ timeoutMs: 40_000 });
    expect(connectedEncryption(ripple)).toContain("rc4");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);
});

describe("IPv6 on ::1", () => {
  test.skipIf(missingBinaries("mktorrent"))("ripple seeder, ripple leecher (both --encryption require) and libtorrent, all on ::1", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    await using seeder = await startRipple(["seed", torrent.path, "-o", payload.dir, "--port", "0", "--host", "::1", "--no-trackers", "--encryption", "require"], "ripple seeder ::1");
    const port = await seeder.port();
    await seeder.waitEvent(isSeeding, "seeding");
    const out = join(work.path, "leech-ripple");
    await using leecher = await startRipple(["download", torrent.path, "-o", out, "--port", "0", "--host", "::1", "--no-trackers", "--encryption", "require", "--peer", `[::1]:${port}`], "ripple leecher ::1");
    const connected = await leecher.waitEvent((e) => e.event === "peer" && e.action === "connected", "a connection");
    expect(connected).toMatchObject({ address: `[::1]:${port}`, encryption: "rc4" });
    await leecher.waitEvent(isDone, "the download to finish");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
    if (missingLibtorrent()) return;
    const ltOut = join(work.path, "leech-libtorrent");
    await using lt = await startLibtorrent({ mode: "leech", torrentPath: torrent.path, dataDir: ltOut, ip: "::1", port: await freePort(), encryption: "enabled", peers: [`[::1]:${port}`] });
    await lt.waitFor("exited", 45_000);
    expect(await compareTrees(payload.root, join(ltOut, torrent.name))).toEqual([]);
  }, 120_000);
});

describe("a peer that speaks only plaintext", () => {
  test.skipIf(missingBinaries("mktorrent"))("--encryption require dials it, gives up, and the peer event says why", async () => {
    await using work = await tempDir();
    const { torrent } = await payloadTorrent(work.path);
    const info = await readTorrentInfo(torrent.path);
    // A scripted peer that speaks only plaintext BitTorrent (its data never matters: no handshake gets through).
    using fake = startFakeSeeder({ infoHash: Buffer.from(info.infoHash, "hex"), pieceLength: info.pieceLength, totalLength: info.totalBytes, data: new Uint8Array(info.totalBytes) });
    await using ripple = await startRipple(["download", torrent.path, "-o", join(work.path, "leech"), "--port", "0", "--host", "127.0.0.1", "--no-trackers", "--encryption", "require", "--peer", `127.0.0.1:${fake.port}`], "ripple leecher");
    const e = await ripple.waitEvent((x) => x.event === "peer" && x.action === "disconnected", "the plaintext peer to be given up");
    expect(e.address).toBe(`127.0.0.1:${fake.port}`);
    expect(e.reason).toMatch(/^encryption handshake failed: .*encryption is required, so no plaintext retry$/);
    expect(fake.stats.connections).toBe(1);
    // It saw our MSE public key, not a handshake: random bytes, whose first byte is 19 (the protocol string's
    // length) once in 256 dials, and then the string itself is wrong.
    expect(fake.stats.errors.join("\n")).toMatch(/protocol string length|wrong protocol string/);
  }, 120_000);
});
