// Outgoing MSE/PE and the encryption policy between Clients over loopback, against a plaintext-only fake
// peer, and BEP 6 allowed fast sets we give; IPv6 swarms on ::1 and the default dual-stack listener.

import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "../src/client.ts";
import { BLOCK_SIZE } from "../src/metainfo/index.ts";
import type { Torrent, TorrentEvents } from "../src/swarm/index.ts";
import { encodeRequest, makeReserved } from "../src/wire/index.ts";
import { startFakeSeeder } from "./helpers/fake-peer.ts";
import { tempDir } from "./helpers/process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles } from "./helpers/torrent-fixture.ts";
import { finished, seedFixture, useClients } from "./helpers/torrents.ts";
import { connectWireClient } from "./helpers/wire-client.ts";

const { client, defer } = useClients();
const fixture = makeTorrentFixture({ name: "enc.bin", pieceLength: 2 * BLOCK_SIZE, data: patternBytes(6 * 2 * BLOCK_SIZE + 123, 9) });
type PeerEvent = TorrentEvents["peer"];

const seeder = (c: Client) => seedFixture(c, fixture, defer);

/** Downloads through `c` from `peers`; returns the peer events seen and the bytes written. */
async function download(c: Client, peers: { host: string; port: number }[]) {
  const out = await tempDir();
  defer(() => out[Symbol.asyncDispose]());
  const torrent: Torrent = c.addTorrent(fixture.meta, { outDir: out.path, peers, noTrackers: true });
  const events: PeerEvent[] = [];
  torrent.on("peer", (e) => void events.push(e));
  await finished(torrent);
  return { events, data: new Uint8Array(await readFile(join(out.path, fixture.meta.name))) };
}

function fakeSeeder() {
  const s = startFakeSeeder({ infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data });
  defer(() => s.stop());
  return s;
}

describe("encryption policy between ripples", () => {
  for (const [seed, leech, expected] of [
    ["require", "require", "rc4"],
    ["prefer", "require", "rc4"],
    ["require", "prefer", "rc4"],
    ["prefer", "prefer", "plaintext"], // both offered; the receiver picks plaintext (MSE still hides the handshake)
  ] as const) {
    test(`seeder ${seed}, leecher ${leech}: byte-identical, stream ${expected}`, async () => {
      const port = await seeder(client({ encryption: seed }));
      const { events, data } = await download(client({ encryption: leech }), [{ host: "127.0.0.1", port }]);
      expect(Bun.hash(data)).toBe(Bun.hash(fixture.data));
      expect(events.find((e) => e.event === "connected")?.encryption).toBe(expected);
    });
  }

  test("plain dials plaintext: a require seeder refuses it, a prefer seeder serves it", async () => {
    const strict = await seeder(client({ encryption: "require" }));
    const friendly = await seeder(client({ encryption: "prefer" }));
    const peers = [strict, friendly].map((port) => ({ host: "127.0.0.1", port }));
    const { events, data } = await download(client({ encryption: "plain" }), peers);
    expect(Bun.hash(data)).toBe(Bun.hash(fixture.data));
    const connected = events.filter((e) => e.event === "connected").map((e) => [e.address, e.encryption]);
    expect(connected).toEqual([[`127.0.0.1:${friendly}`, "plaintext"]]);
  });
});

describe("against a peer that speaks only plaintext", () => {
  test("prefer: the encrypted dial fails, the plaintext redial downloads everything", async () => {
    const fake = fakeSeeder();
    const { events, data } = await download(client({ encryption: "prefer" }), [{ host: "127.0.0.1", port: fake.port }]);
    expect(Bun.hash(data)).toBe(Bun.hash(fixture.data));
    expect(events.find((e) => e.event === "disconnected")?.reason).toMatch(/encryption handshake.*redialing in plaintext/);
    expect(events.find((e) => e.event === "connected")?.encryption).toBe("plaintext");
    expect(fake.stats.connections).toBe(2);
  });

  test("require: no plaintext retry, and the peer event says why", async () => {
    const fake = fakeSeeder();
    const c = client({ encryption: "require" });
    const out = await tempDir();
    defer(() => out[Symbol.asyncDispose]());
    const t = c.addTorrent(fixture.meta, { outDir: out.path, peers: [{ host: "127.0.0.1", port: fake.port }], noTrackers: true });
    const { promise, resolve } = Promise.withResolvers<PeerEvent>();
    t.on("peer", (e) => void (e.event === "disconnected" && resolve(e)));
    const e = await promise;
    expect(e.reason).toMatch(/^encryption handshake failed: .*encryption is required, so no plaintext retry$/);
    expect(t.stats().downloadedBytes).toBe(0);
    expect(fake.stats.connections).toBe(1);
  });

  test("require: a plain handshake dialing in is refused, and the seeder's peer event says why", async () => {
    const c = client({ encryption: "require" });
    const work = await tempDir();
    defer(() => work[Symbol.asyncDispose]());
    await writeFixtureFiles(fixture, work.path);
    const t = c.addTorrent(fixture.meta, { outDir: work.path, noTrackers: true });
    await finished(t);
    const { promise, resolve } = Promise.withResolvers<PeerEvent>();
    t.on("peer", (e) => void (e.event === "disconnected" && resolve(e)));
    const wire = await connectWireClient(c.port, fixture.meta.infoHash, { reserved: makeReserved({ fast: true }) });
    await wire.closed;
    expect((await promise).reason).toMatch(/plaintext handshake refused: encryption is required/);
  });
});

describe("BEP 6 allowed fast sets we give", () => {
  test("a fast peer gets its set, and while choked its requests for those pieces are served, others rejected", async () => {
    const port = await seeder(client());
    const wire = await connectWireClient(port, fixture.meta.infoHash, { reserved: makeReserved({ fast: true }) });
    defer(() => wire.end());
    expect(await wire.nextOf("handshake")).toBeDefined();
    const allowed: number[] = [];
    // 7 pieces: k = 3 (at most half of a small torrent). Never interested, so never unchoked.
    while (allowed.length < 3) allowed.push((await wire.nextOf("allowed_fast"))!.index);
    const other = [...Array(fixture.meta.pieceCount).keys()].find((i) => !allowed.includes(i))!;
    wire.send(encodeRequest(other, 0, BLOCK_SIZE));
    expect(await wire.nextOf("reject")).toMatchObject({ index: other });
    wire.send(encodeRequest(allowed[0]!, BLOCK_SIZE, BLOCK_SIZE));
    const piece = await wire.nextOf("piece");
    const start = allowed[0]! * fixture.meta.pieceLength + BLOCK_SIZE;
    expect(piece?.index).toBe(allowed[0]!);
    expect(Bun.hash(piece!.block)).toBe(Bun.hash(fixture.data.subarray(start, start + BLOCK_SIZE)));
  });
});

describe("IPv6", () => {
  test("a swarm on ::1: seeder and leecher listen and dial there, encrypted", async () => {
    const port = await seeder(client({ host: "::1", encryption: "require" }));
    const { events, data } = await download(client({ host: "::1", encryption: "require" }), [{ host: "::1", port }]);
    expect(Bun.hash(data)).toBe(Bun.hash(fixture.data));
    expect(events.find((e) => e.event === "connected")).toMatchObject({ address: `[::1]:${port}`, encryption: "rc4" });
  });

  test("BEP 7: the IPv6 address we are given goes to HTTP trackers as ipv6=", async () => {
    const { promise, resolve } = Promise.withResolvers<string>();
    const tracker = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => (resolve(new URL(req.url).searchParams.get("ipv6") ?? ""), new Response("d8:intervali60e5:peers0:e")),
    });
    defer(() => tracker.stop(true));
    const meta = makeTorrentFixture({ name: "t.bin", pieceLength: BLOCK_SIZE, data: patternBytes(100, 1), announce: `http://127.0.0.1:${tracker.port}/announce` }).meta;
    const out = await tempDir();
    defer(() => out[Symbol.asyncDispose]());
    client({ host: undefined, announceIpv6: "::1" }).addTorrent(meta, { outDir: out.path });
    expect(await promise).toBe("::1");
  });

  test("an IPv6 peer from a tracker's peers6 (BEP 7) is dialed", async () => {
    const port = await seeder(client({ host: "::1" }));
    const entry = new Uint8Array(18);
    entry[15] = 1; // ::1
    new DataView(entry.buffer).setUint16(16, port);
    const body = new Uint8Array([...new TextEncoder().encode("d8:intervali60e5:peers0:6:peers618:"), ...entry, 0x65]);
    const tracker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(body) });
    defer(() => tracker.stop(true));
    const out = await tempDir();
    defer(() => out[Symbol.asyncDispose]());
    const t = client({ host: "::1" }).addTorrent({ ...fixture.meta, announceTiers: [[`http://127.0.0.1:${tracker.port}/announce`]] }, { outDir: out.path });
    const events: PeerEvent[] = [];
    t.on("peer", (e) => void events.push(e));
    await finished(t);
    expect(events.find((e) => e.event === "connected")?.address).toBe(`[::1]:${port}`);
  });

  test("by default a seeder listens on both families: an IPv4 and an IPv6 leecher both complete", async () => {
    const port = await seeder(client({ host: undefined }));
    const v4 = await download(client(), [{ host: "127.0.0.1", port }]);
    const v6 = await download(client({ host: "::1" }), [{ host: "::1", port }]);
    expect(Bun.hash(v4.data)).toBe(Bun.hash(fixture.data));
    expect(Bun.hash(v6.data)).toBe(Bun.hash(fixture.data));
  });
});
