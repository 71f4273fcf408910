// Seeding over loopback with real ripple Clients: a swarm of one seeder and six leechers that trade with
// each other, and a seeder facing scripted peers that send bad requests (each is refused as specified
// while an honest peer keeps being served).

import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "../../src/index.ts";
import { BLOCK_SIZE } from "../../src/metainfo/index.ts";
import { encodeMessage, encodeRequest, makeReserved, type PeerMessage } from "../../src/wire/index.ts";
import { tempDir } from "../helpers/process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles, type TorrentFixture } from "../helpers/torrent-fixture.ts";
import { expectFixtureOnDisk } from "../helpers/files.ts";
import { connectWireClient, type WireClient } from "../helpers/wire-client.ts";
import { finished, useClients } from "../helpers/torrents.ts";

const { client, defer } = useClients();


/** A seeding Client for `fixture` with its data written under a temp dir. */
async function startSeeder(fixture: TorrentFixture, dir: string, options: ConstructorParameters<typeof Client>[0] = {}) {
  await writeFixtureFiles(fixture, dir);
  const c = client(options);
  const torrent = c.addTorrent(fixture.meta, { outDir: dir, noTrackers: true });
  await finished(torrent);
  return { client: c, torrent, address: { host: "127.0.0.1", port: c.port } };
}

describe("a ripple swarm", () => {
  // Only leecher 0 knows the seeder, and the torrent is private (no peer exchange, BEP 27), so the
  // other five cannot reach it: every byte they get comes from leechers. That is guaranteed by the
  // topology, not by how fast the seeder is against the swarm (a rate race that a loaded CI box lost).
  test("one seeder and six leechers all finish byte-identical, trading among themselves", async () => {
    await using work = await tempDir();
    const fixture = makeTorrentFixture({
      name: "swarm",
      pieceLength: 4 * BLOCK_SIZE,
      private: true,
      files: [
        { path: ["a.bin"], data: patternBytes(3 * 1024 * 1024 + 123, 21) },
        { path: ["b", "c.bin"], data: patternBytes(1024 * 1024 - 7, 22) },
      ],
    });
    const seeder = await startSeeder(fixture, join(work.path, "seed"));
    const leechers = Array.from({ length: 6 }, () => client());
    const leecherAddresses = leechers.map((c) => ({ host: "127.0.0.1", port: c.port }));
    const torrents = leechers.map((c, i) => {
      const others = leecherAddresses.filter((a) => a.port !== c.port);
      const peers = i === 0 ? [seeder.address, ...others] : others;
      return c.addTorrent(fixture.meta, { outDir: join(work.path, `leech${i}`), peers, noTrackers: true });
    });
    // The premise, checked: none of the other five ever reaches the seeder.
    const seederAddress = `127.0.0.1:${seeder.address.port}`;
    const reachedSeeder: number[] = [];
    torrents.forEach((t, i) => t.on("peer", (p) => i > 0 && p.event === "connected" && p.address === seederAddress && reachedSeeder.push(i)));
    await Promise.all(torrents.map(finished));
    expect(reachedSeeder).toEqual([]);
    for (let i = 0; i < leechers.length; i++) await expectFixtureOnDisk(fixture, join(work.path, `leech${i}`));

    const size = fixture.meta.totalLength;
    const uploaded = torrents.map((t) => t.stats().uploadedBytes);
    // Leecher 0 got every piece from the seeder and passed each on at least once; the other five
    // downloaded five whole copies from leechers only.
    expect(seeder.torrent.stats().uploadedBytes).toBeGreaterThanOrEqual(size);
    expect(uploaded[0]!).toBeGreaterThanOrEqual(size);
    expect(uploaded.reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(5 * size);
  }, 60_000);
});

describe("a seeder facing bad requests", () => {
  const fixture = makeTorrentFixture({ name: "served", pieceLength: 2 * BLOCK_SIZE, files: [{ path: ["x.bin"], data: patternBytes(8 * 2 * BLOCK_SIZE + 500, 31) }] });
  const FAST = makeReserved({ fast: true });
  let peerCounter = 0;

  async function dial(port: number, fast: boolean): Promise<WireClient> {
    const id = new TextEncoder().encode(`-TT0001-${String(++peerCounter).padStart(12, "0")}`);
    const w = await connectWireClient(port, fixture.meta.infoHash, { reserved: fast ? FAST : new Uint8Array(8), peerId: id });
    defer(() => w.end());
    expect((await w.next())?.type).toBe("handshake");
    return w;
  }

  /** Dials, says interested, waits for the unchoke. */
  async function unchokedPeer(port: number, fast = true): Promise<WireClient> {
    const w = await dial(port, fast);
    w.send(encodeMessage({ type: "interested" }));
    expect(await w.nextOf("unchoke")).toBeDefined();
    return w;
  }

  async function expectBlock(w: WireClient, index: number, begin: number, length: number): Promise<void> {
    w.send(encodeRequest(index, begin, length));
    const piece = (await w.nextOf("piece")) as Extract<PeerMessage, { type: "piece" }>;
    expect([piece.index, piece.begin, piece.block.length]).toEqual([index, begin, length]);
    const start = index * fixture.meta.pieceLength + begin;
    expect(Bun.hash(piece.block)).toBe(Bun.hash(fixture.data.subarray(start, start + length)));
  }

  async function dropped(w: WireClient, bytes: Uint8Array): Promise<void> {
    w.send(bytes);
    await w.closed;
    expect(w.isClosed).toBe(true);
  }

  test("a fast peer gets have_all and its blocks", async () => {
    await using work = await tempDir();
    const seeder = await startSeeder(fixture, work.path);
    const w = await dial(seeder.address.port, true);
    expect((await w.next())?.type).toBe("have_all");
    w.send(encodeMessage({ type: "interested" }));
    expect(await w.nextOf("unchoke")).toBeDefined();
    await expectBlock(w, 8, 0, 500); // the short last piece
    await expectBlock(w, 3, BLOCK_SIZE, BLOCK_SIZE);
  });

  test("a peer without the fast bit gets a bitfield", async () => {
    await using work = await tempDir();
    const seeder = await startSeeder(fixture, work.path);
    const w = await dial(seeder.address.port, false);
    const bitfield = await w.next();
    expect(bitfield?.type).toBe("bitfield");
    w.send(encodeMessage({ type: "interested" }));
    expect(await w.nextOf("unchoke")).toBeDefined();
    await expectBlock(w, 0, 0, BLOCK_SIZE);
  });

  test("out-of-range, oversized and past-the-end requests drop the peer; an honest one is still served", async () => {
    await using work = await tempDir();
    const seeder = await startSeeder(fixture, work.path);
    const port = seeder.address.port;
    const honest = await unchokedPeer(port);
    await dropped(await unchokedPeer(port), encodeRequest(9, 0, BLOCK_SIZE));
    await dropped(await unchokedPeer(port), encodeRequest(0, 0, 2 * BLOCK_SIZE));
    await dropped(await unchokedPeer(port), encodeRequest(8, 0, 501));
    await dropped(await unchokedPeer(port), encodeRequest(0, BLOCK_SIZE + 1, BLOCK_SIZE));
    await expectBlock(honest, 1, 0, BLOCK_SIZE);
  });

  test("requests while choked are rejected (fast) or ignored, and never served", async () => {
    await using work = await tempDir();
    const seeder = await startSeeder(fixture, work.path);
    const fast = await dial(seeder.address.port, true);
    fast.send(encodeRequest(2, 0, BLOCK_SIZE)); // not interested yet, so still choked
    expect(await fast.nextOf("reject")).toMatchObject({ index: 2, begin: 0, length: BLOCK_SIZE });
    const slow = await dial(seeder.address.port, false);
    slow.send(encodeRequest(2, 0, BLOCK_SIZE));
    slow.send(encodeMessage({ type: "interested" }));
    expect(await slow.nextOf("unchoke")).toBeDefined();
    await expectBlock(slow, 2, BLOCK_SIZE, BLOCK_SIZE); // the first piece message is this one, not the early request
    expect(seeder.torrent.stats().uploadedBytes).toBe(BLOCK_SIZE);
  });

  test("a request for a piece the seeder lacks is rejected, not served", async () => {
    await using work = await tempDir();
    // A partial seeder: it has every piece but piece 5 (corrupted on disk).
    await writeFixtureFiles(fixture, work.path);
    const path = join(work.path, "served", "x.bin");
    const bytes = new Uint8Array(await readFile(path));
    bytes[5 * 2 * BLOCK_SIZE]! ^= 0xff;
    await Bun.write(path, bytes);
    const c = client();
    const torrent = c.addTorrent(fixture.meta, { outDir: work.path, noTrackers: true });
    await new Promise<void>((resolve) => torrent.on("progress", () => resolve()));
    const w = await dial(c.port, true);
    const have = await w.next();
    expect(have?.type).toBe("bitfield");
    w.send(encodeMessage({ type: "interested" }));
    expect(await w.nextOf("unchoke")).toBeDefined();
    w.send(encodeRequest(5, 0, BLOCK_SIZE));
    expect(await w.nextOf("reject")).toMatchObject({ index: 5 });
    await expectBlock(w, 4, 0, BLOCK_SIZE);
  });

  test("a request flood drops the peer", async () => {
    await using work = await tempDir();
    // No upload budget to speak of, so requests pile up in the queue instead of being served.
    const seeder = await startSeeder(fixture, work.path, { maxUploadRate: 1 });
    const w = await unchokedPeer(seeder.address.port);
    const flood = new Uint8Array(17 * 2100);
    for (let i = 0; i < 2100; i++) flood.set(encodeRequest(i % 8, 0, BLOCK_SIZE), i * 17);
    await dropped(w, flood);
    expect(seeder.torrent.stats().uploadedBytes).toBeLessThanOrEqual(2 * BLOCK_SIZE);
  });
});
