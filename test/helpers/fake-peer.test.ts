import { describe, expect, test } from "bun:test";
import { concatBytes } from "../../src/util/index.ts";
import { encodeMessage, encodeRequest, makeReserved } from "../../src/wire/index.ts";
import { startFakeSeeder, type FakeTorrent } from "./fake-peer.ts";
import { connectWireClient } from "./wire-client.ts";

const BLOCK = 16384;

/** A torrent of `pieces` pieces of two blocks each plus a short last piece; the data contains NUL bytes. */
function makeTorrent(pieces = 3, pieceLength = 2 * BLOCK, tail = 100): FakeTorrent {
  const totalLength = pieces * pieceLength + tail;
  const data = new Uint8Array(totalLength).map((_, i) => (i % 251 === 0 ? 0 : (i * 7 + (i >> 11)) & 0xff));
  return { infoHash: new Uint8Array(20).fill(0x11), pieceLength, totalLength, data };
}

/** The scripted wire client, with the 0-byte reserved field these tests expect by default. */
function connectClient(port: number, infoHash: Uint8Array, reserved: Uint8Array = new Uint8Array(8)) {
  return connectWireClient(port, infoHash, { reserved });
}

describe("fake seeder", () => {
  test("handshake, bitfield, unchoke on interest, then a block", async () => {
    const torrent = makeTorrent();
    await using seeder = startFakeSeeder(torrent);
    const client = await connectClient(seeder.port, torrent.infoHash);
    const hs = await client.next();
    expect(hs?.type === "handshake" && hs.hs.peerId).toEqual(seeder.peerId);
    expect(await client.next()).toEqual({ type: "bitfield", bytes: new Uint8Array([0xf0]) });
    client.send(encodeMessage({ type: "interested" }));
    expect(await client.next()).toEqual({ type: "unchoke" });
    client.send(encodeRequest(1, BLOCK, BLOCK));
    expect(await client.next()).toEqual({ type: "piece", index: 1, begin: BLOCK, block: torrent.data.slice(3 * BLOCK, 4 * BLOCK) });
    client.send(encodeRequest(3, 0, 100));
    expect(await client.next()).toEqual({ type: "piece", index: 3, begin: 0, block: torrent.data.slice(6 * BLOCK) });
    expect(seeder.stats).toMatchObject({ connections: 1, requests: [0, 1, 0, 1], blocksServed: 2, errors: [] });
    client.end();
    await client.closed;
  });

  test("advertises only `have` pieces and ignores requests for others", async () => {
    const torrent = makeTorrent();
    using seeder = startFakeSeeder(torrent, { have: [0, 3] });
    const client = await connectClient(seeder.port, torrent.infoHash);
    await client.next();
    expect(await client.next()).toEqual({ type: "bitfield", bytes: new Uint8Array([0x90]) });
    client.send(concatBytes([encodeMessage({ type: "interested" }), encodeRequest(1, 0, BLOCK), encodeRequest(0, 0, BLOCK)]));
    expect(await client.next()).toEqual({ type: "unchoke" });
    const piece = await client.next();
    expect(piece?.type === "piece" && piece.index).toBe(0);
    expect(seeder.stats).toMatchObject({ requests: [1, 1, 0, 0], blocksServed: 1, unserved: 1 });
  });

  test("corrupt flips a byte of every block", async () => {
    const torrent = makeTorrent();
    using seeder = startFakeSeeder(torrent, { corrupt: true });
    const client = await connectClient(seeder.port, torrent.infoHash);
    client.send(concatBytes([encodeMessage({ type: "interested" }), encodeRequest(0, 0, BLOCK)]));
    let event = await client.next();
    while (event && event.type !== "piece") event = await client.next();
    const expected = torrent.data.slice(0, BLOCK);
    expected[0]! ^= 0xff;
    expect(event).toEqual({ type: "piece", index: 0, begin: 0, block: expected });
  });

  test("dropAfterBlocks closes the socket mid-piece", async () => {
    const torrent = makeTorrent();
    using seeder = startFakeSeeder(torrent, { dropAfterBlocks: 3 });
    const client = await connectClient(seeder.port, torrent.infoHash);
    client.send(concatBytes([encodeMessage({ type: "interested" }), ...[0, 1, 2].flatMap((p) => [encodeRequest(p, 0, BLOCK), encodeRequest(p, BLOCK, BLOCK)])]));
    const pieces: string[] = [];
    for (let e = await client.next(); e; e = await client.next()) if (e.type === "piece") pieces.push(`${e.index}/${e.begin}`);
    await client.closed;
    expect(pieces).toEqual(["0/0", "0/16384", "1/0"]);
    expect(seeder.stats.blocksServed).toBe(3);
  });

  test("chokeAfterBlocks chokes and stops serving", async () => {
    const torrent = makeTorrent();
    using seeder = startFakeSeeder(torrent, { chokeAfterBlocks: 1 });
    const client = await connectClient(seeder.port, torrent.infoHash);
    client.send(concatBytes([encodeMessage({ type: "interested" }), encodeRequest(0, 0, BLOCK), encodeRequest(0, BLOCK, BLOCK)]));
    const types: string[] = [];
    for (let e = await client.next(); e && e.type !== "choke"; e = await client.next()) types.push(e.type);
    expect(types).toEqual(["handshake", "bitfield", "unchoke", "piece"]);
    // An out-of-range request last makes the seeder close, so `closed` means it has read everything before.
    client.send(concatBytes([encodeMessage({ type: "interested" }), encodeRequest(1, 0, BLOCK), encodeRequest(9, 0, BLOCK)]));
    expect(await client.next()).toBeUndefined();
    expect(seeder.stats).toMatchObject({ blocksServed: 1, unserved: 2, requests: [2, 1, 0, 0] });
  });

  test("with the fast extension: have_all, and reject while choked", async () => {
    const torrent = makeTorrent();
    using seeder = startFakeSeeder(torrent, { fast: true });
    const client = await connectClient(seeder.port, torrent.infoHash, makeReserved({ fast: true }));
    await client.next();
    expect(await client.next()).toEqual({ type: "have_all" });
    client.send(encodeRequest(2, 0, BLOCK));
    expect(await client.next()).toEqual({ type: "reject", index: 2, begin: 0, length: BLOCK });
  });

  test("a wrong info hash is refused", async () => {
    const torrent = makeTorrent();
    using seeder = startFakeSeeder(torrent);
    const client = await connectClient(seeder.port, new Uint8Array(20).fill(0x99));
    expect(await client.next()).toBeUndefined();
    expect(seeder.stats.errors).toEqual(["handshake for another info hash"]);
  });

  test("an out-of-range request is a protocol error that closes the connection", async () => {
    const torrent = makeTorrent();
    using seeder = startFakeSeeder(torrent);
    const client = await connectClient(seeder.port, torrent.infoHash);
    client.send(concatBytes([encodeMessage({ type: "interested" }), encodeRequest(3, 0, BLOCK)]));
    await client.closed;
    expect(seeder.stats.errors).toEqual([`bad request: piece 3 begin 0 length ${BLOCK}`]);
  });

  test("serves 16 MiB requested at once through partial writes and drain", async () => {
    const torrent = makeTorrent(256, 4 * BLOCK, 0);
    using seeder = startFakeSeeder(torrent);
    const client = await connectClient(seeder.port, torrent.infoHash);
    const requests: Uint8Array[] = [encodeMessage({ type: "interested" })];
    for (let p = 0; p < 256; p++) for (let b = 0; b < 4; b++) requests.push(encodeRequest(p, b * BLOCK, BLOCK));
    client.send(concatBytes(requests));
    let received = 0;
    let mismatches = 0;
    while (received < 1024) {
      const e = await client.next();
      if (!e) throw new Error("closed early");
      if (e.type !== "piece") continue;
      const start = e.index * 4 * BLOCK + e.begin;
      if (Bun.hash(e.block) !== Bun.hash(torrent.data.subarray(start, start + BLOCK))) mismatches++;
      received++;
    }
    expect(mismatches).toBe(0);
    expect(seeder.stats.blocksServed).toBe(1024);
    expect(seeder.stats.partialWrites).toBeGreaterThan(0);
  });

  test("stop() closes open connections", async () => {
    const torrent = makeTorrent();
    const seeder = startFakeSeeder(torrent);
    const client = await connectClient(seeder.port, torrent.infoHash);
    await client.next();
    seeder.stop();
    seeder.stop();
    await client.closed;
    expect(seeder.stats.connections).toBe(1);
  });
});
