// Loopback downloads through the public Client: in-process fake seeders on 127.0.0.1, tiny torrents,
// bytes on disk compared with the source. Covers several peers, a peer dropping mid-piece, a peer
// sending corrupt data (banned, download still completes), and resuming from data already on disk.

import { describe, expect, test } from "bun:test";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "../src/index.ts";
import { dialFakeSeeder, type FakeSeeder, type FakeSeederOptions } from "./helpers/fake-peer.ts";
import { tempDir } from "./helpers/process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles, type TorrentFixture } from "./helpers/torrent-fixture.ts";
import { expectFixtureOnDisk } from "./helpers/files.ts";
import { fakeSeederOf, finished, useClients } from "./helpers/torrents.ts";

const BLOCK = 16384;
const { client: makeClient, defer } = useClients();
const client = (): Client => makeClient();
const seed = (fixture: TorrentFixture, id: number, options: FakeSeederOptions = {}): FakeSeeder =>
  fakeSeederOf(fixture, `-FK0001-seeder${String(id).padStart(6, "0")}`, defer, options);

const peerAt = (s: FakeSeeder) => ({ host: "127.0.0.1", port: s.port });

/** Three full pieces of two blocks each and a short last piece; data contains NUL bytes. */
function singleFile(): TorrentFixture {
  return makeTorrentFixture({ name: "single.bin", pieceLength: 2 * BLOCK, data: patternBytes(3 * 2 * BLOCK + 100, 1) });
}

/** A piece spanning three files, empty files at the start, middle and end, a nested directory. */
function multiFile(): TorrentFixture {
  return makeTorrentFixture({
    name: "multi",
    pieceLength: BLOCK,
    files: [
      { path: ["empty-first"], data: new Uint8Array(0) },
      { path: ["a.bin"], data: patternBytes(BLOCK + 10, 2) },
      { path: ["dir", "b.bin"], data: patternBytes(20, 3) },
      { path: ["dir", "empty"], data: new Uint8Array(0) },
      { path: ["dir", "sub", "c.bin"], data: patternBytes(3 * BLOCK + 7, 4) },
      { path: ["z-empty-last"], data: new Uint8Array(0) },
    ],
  });
}

describe("Client downloads over loopback", () => {
  test("a single-file torrent from one seeder, byte-identical", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const seeder = seed(fixture, 1);
    const torrent = client().addTorrent(fixture.meta, { outDir: out.path, peers: [peerAt(seeder)], noTrackers: true });
    const stats = await finished(torrent);
    expect(stats.piecesDone).toBe(fixture.meta.pieceCount);
    expect(stats.verifiedBytes).toBe(fixture.meta.totalLength);
    await expectFixtureOnDisk(fixture, out.path);
    expect(seeder.stats.errors).toEqual([]);
  });

  test("a multi-file torrent from several seeders, empty files created", async () => {
    await using out = await tempDir();
    const fixture = multiFile();
    const seeders = [seed(fixture, 1), seed(fixture, 2), seed(fixture, 3)];
    const torrent = client().addTorrent(fixture.meta, { outDir: out.path, peers: seeders.map(peerAt), noTrackers: true });
    await finished(torrent);
    await expectFixtureOnDisk(fixture, out.path);
    expect((await stat(join(out.path, "multi", "dir", "empty"))).size).toBe(0);
    expect(seeders.reduce((n, s) => n + s.stats.blocksServed, 0)).toBeGreaterThanOrEqual(fixture.meta.pieceCount);
  });

  test("a larger torrent comes from every seeder, not just one", async () => {
    await using out = await tempDir();
    const fixture = makeTorrentFixture({ name: "big.bin", pieceLength: 4 * BLOCK, data: patternBytes(64 * 4 * BLOCK + 5, 9) });
    // Each seeder serves at most 120 of the 256 blocks and then chokes for good, so no two can supply the
    // torrent: every one of them must be used, whichever connects first or runs fastest.
    const seeders = [1, 2, 3].map((id) => seed(fixture, id, { chokeAfterBlocks: 120 }));
    await finished(client().addTorrent(fixture.meta, { outDir: out.path, peers: seeders.map(peerAt), noTrackers: true }));
    await expectFixtureOnDisk(fixture, out.path);
    for (const s of seeders) expect(s.stats.blocksServed).toBeGreaterThan(0);
  });

  test("a peer that drops the connection mid-piece: its blocks are fetched from another peer", async () => {
    await using out = await tempDir();
    const fixture = makeTorrentFixture({ name: "drop.bin", pieceLength: 4 * BLOCK, data: patternBytes(8 * 4 * BLOCK, 5) });
    const dropper = seed(fixture, 1, { dropAfterBlocks: 3 });
    const good = seed(fixture, 2);
    const torrent = client().addTorrent(fixture.meta, { outDir: out.path, peers: [peerAt(dropper)], noTrackers: true });
    // The good peer is named only once the dropper has gone, so the dropper is sure to serve (and drop)
    // first, however the two connections would have raced.
    const disconnected = new Promise<string | undefined>((resolve) =>
      torrent.on("peer", (p) => {
        if (p.event !== "disconnected" || !p.address.endsWith(`:${dropper.port}`)) return;
        torrent.addPeers([peerAt(good)]);
        resolve(p.reason);
      }),
    );
    await finished(torrent);
    await expectFixtureOnDisk(fixture, out.path);
    expect(dropper.stats.blocksServed).toBeGreaterThanOrEqual(3);
    expect(await disconnected).toBeString();
  });

  test("a peer sending corrupt data is banned and the download still completes", async () => {
    await using out = await tempDir();
    const fixture = makeTorrentFixture({ name: "corrupt.bin", pieceLength: 2 * BLOCK, data: patternBytes(16 * 2 * BLOCK, 6) });
    const liar = seed(fixture, 1, { corrupt: true });
    const good = seed(fixture, 2);
    const torrent = client().addTorrent(fixture.meta, { outDir: out.path, peers: [peerAt(liar), peerAt(good)], noTrackers: true });
    const banned = new Promise<string>((resolve) => torrent.on("peer", (p) => p.event === "banned" && resolve(p.address)));
    const warnings: string[] = [];
    torrent.on("warning", ({ message }) => warnings.push(message));
    await finished(torrent);
    await expectFixtureOnDisk(fixture, out.path);
    expect(await banned).toBe(`127.0.0.1:${liar.port}`);
    expect(warnings.some((w) => /hash check/.test(w))).toBe(true);
    expect(liar.stats.connections).toBe(1); // never dialed again after the ban
  });

  test("a restart keeps verified data: only missing pieces are requested", async () => {
    await using out = await tempDir();
    const fixture = makeTorrentFixture({ name: "resume.bin", pieceLength: 2 * BLOCK, data: patternBytes(6 * 2 * BLOCK, 7) });
    // Pieces 0-2 on disk, piece 3 corrupt, 4-5 missing (the file is short).
    const partial = new Uint8Array(fixture.data.subarray(0, 4 * 2 * BLOCK));
    partial[3 * 2 * BLOCK + 1]! ^= 0xff;
    await writeFile(join(out.path, "resume.bin"), partial);
    const seeder = seed(fixture, 1);
    const torrent = client().addTorrent(fixture.meta, { outDir: out.path, peers: [peerAt(seeder)], noTrackers: true });
    await finished(torrent);
    await expectFixtureOnDisk(fixture, out.path);
    expect(seeder.stats.requests.slice(0, 3)).toEqual([0, 0, 0]);
    expect(seeder.stats.requests.slice(3)).toEqual([2, 2, 2]);
  });

  test("a torrent already complete on disk finishes without any peer", async () => {
    await using out = await tempDir();
    const fixture = multiFile();
    await writeFixtureFiles(fixture, out.path);
    const stats = await finished(client().addTorrent(fixture.meta, { outDir: out.path, noTrackers: true }));
    expect(stats.downloadedBytes).toBe(0);
    expect(stats.piecesDone).toBe(fixture.meta.pieceCount);
  });

  test("pad files (BEP 47) are downloaded through but never written", async () => {
    await using out = await tempDir();
    const fixture = makeTorrentFixture({
      name: "padded",
      pieceLength: BLOCK,
      files: [
        { path: ["a.bin"], data: patternBytes(100, 8) },
        { path: [".pad", "16284"], data: new Uint8Array(BLOCK - 100), pad: true },
        { path: ["b.bin"], data: patternBytes(BLOCK + 1, 9) },
      ],
    });
    const seeder = seed(fixture, 1);
    await finished(client().addTorrent(fixture.meta, { outDir: out.path, peers: [peerAt(seeder)], noTrackers: true }));
    await expectFixtureOnDisk(fixture, out.path);
    expect((await readdir(join(out.path, "padded"))).sort()).toEqual(["a.bin", "b.bin"]);
  });

  test("an unwritable output directory is a storage error, not a crash", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const blocker = join(out.path, "not-a-dir");
    await writeFile(blocker, "x");
    const seeder = seed(fixture, 1);
    const torrent = client().addTorrent(fixture.meta, { outDir: join(blocker, "sub"), peers: [peerAt(seeder)], noTrackers: true });
    const error = await finished(torrent).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "STORAGE" });
    expect(String((error as Error).message)).toContain("not-a-dir");
  });
});

describe("Client accepts incoming peers", () => {
  test("a seeder that dials us gets our handshake and serves the whole torrent", async () => {
    await using out = await tempDir();
    const fixture = multiFile();
    const c = client();
    const torrent = c.addTorrent(fixture.meta, { outDir: out.path, noTrackers: true });
    const dialer = await dialFakeSeeder(
      { infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data },
      c.port,
    );
    defer(() => dialer.stop());
    await finished(torrent);
    await expectFixtureOnDisk(fixture, out.path);
    expect(dialer.remotePeerIds.map((id) => Buffer.from(id).toString("hex"))).toEqual([Buffer.from(c.peerId).toString("hex")]);
  });

  test("a live connection is kept when we dial the same peer again (a client that drops duplicates itself)", async () => {
    await using out = await tempDir();
    const fixture = makeTorrentFixture({ name: "dup.bin", pieceLength: 2 * BLOCK, data: patternBytes(24 * 2 * BLOCK, 7) });
    const c = client();
    const torrent = c.addTorrent(fixture.meta, { outDir: out.path, noTrackers: true });
    const data = { infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data };
    // One peer, two sockets: it dialed us (and is sending, slowly), and it listens where a tracker says.
    // Its id sorts above ours, so the dialer-with-the-lower-id rule alone would drop the live connection.
    const peerId = new TextEncoder().encode("-ZZ0001-samepeer0001");
    const dialer = await dialFakeSeeder(data, c.port, { peerId, rateBytesPerSec: 1024 * 1024 });
    defer(() => dialer.stop());
    const listener = seed(fixture, 0, { peerId });
    const dropped: string[] = [];
    torrent.on("peer", (e) => {
      if (e.event === "disconnected") dropped.push(e.reason ?? "");
    });
    await torrent.once("piece"); // the first connection has carried data
    torrent.addPeers([peerAt(listener)]);
    await finished(torrent);
    await expectFixtureOnDisk(fixture, out.path);
    expect(listener.stats.connections).toBe(1); // dialed, then turned away at the handshake
    expect(listener.stats.blocksServed).toBe(0);
    expect(dialer.stats.blocksServed).toBe(48);
    expect(dropped).not.toContain("duplicate connection");
  });

  test("a dialer naming another torrent is refused", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const other = multiFile();
    const c = client();
    c.addTorrent(fixture.meta, { outDir: out.path, noTrackers: true });
    const dialer = await dialFakeSeeder(
      { infoHash: other.meta.infoHash, pieceLength: other.meta.pieceLength, totalLength: other.meta.totalLength, data: other.data },
      c.port,
    );
    defer(() => dialer.stop());
    await dialer.closed;
    expect(dialer.remotePeerIds).toEqual([]);
    expect(dialer.stats.blocksServed).toBe(0);
  });
});
