// BEP 52 downloads through the public Client from in-process fake seeders on 127.0.0.1: a v2-only
// torrent (truncated v2 hash in the handshake, pieces checked against piece layers and roots, implied pad
// files never written), a hybrid one, a peer sending corrupt v2 data banned by the smart ban, and hash
// requests answered by a seeder (hashes from the piece layers, or a hash reject), and a v2-only magnet
// downloaded ripple to ripple: metadata by the truncated hash, then the piece layers by hash requests.

import { describe, expect, test } from "bun:test";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "../src/index.ts";
import { type FakeSeeder, type FakeSeederOptions } from "./helpers/fake-peer.ts";
import { expectFixtureOnDisk } from "./helpers/files.ts";
import { tempDir } from "./helpers/process.ts";
import { makeV2TorrentFixture, patternBytes, writeFixtureFiles, type TorrentFixture } from "./helpers/torrent-fixture.ts";
import { connectWireClient } from "./helpers/wire-client.ts";
import { startFakeTracker } from "./helpers/fake-tracker.ts";
import { HASHES_ID, HASH_REJECT_ID, decodeHashes, encodeHashRequest, encodeMessage, makeReserved } from "../src/wire/index.ts";
import { toHex } from "../src/util/index.ts";
import { formatMagnet, parseMagnet } from "../src/metainfo/index.ts";
import { fakeSeederOf, finished, useClients } from "./helpers/torrents.ts";

const PIECE = 32768;
const { client: makeClient, defer } = useClients();
const client = (): Client => makeClient();
const seed = (fixture: TorrentFixture, id: number, options: FakeSeederOptions = {}): FakeSeeder =>
  fakeSeederOf(fixture, `-FK0001-v2seed${String(id).padStart(6, "0")}`, defer, options);

const peerAt = (s: FakeSeeder) => ({ host: "127.0.0.1", port: s.port });

/** Files ending mid-piece, one under a block, an empty one, one of whole pieces; 16 pieces in all. */
const FILES = [
  { path: ["a.bin"], data: patternBytes(5 * PIECE + 1000, 1) },
  { path: ["d", "b.bin"], data: patternBytes(700, 2) },
  { path: ["d", "empty"], data: new Uint8Array(0) },
  { path: ["z.bin"], data: patternBytes(9 * PIECE, 3) },
];

describe("v2-only and hybrid downloads", () => {
  for (const hybrid of [false, true]) {
    test(`a ${hybrid ? "hybrid" : "v2-only"} torrent downloads byte-identical; no pad file is written`, async () => {
      await using out = await tempDir();
      const fixture = makeV2TorrentFixture({ name: "t", pieceLength: PIECE, files: FILES, hybrid });
      expect(fixture.meta.v2?.hybrid).toBe(hybrid);
      const seeder = seed(fixture, 1);
      const torrent = client().addTorrent(fixture.meta, { outDir: out.path, peers: [peerAt(seeder)], noTrackers: true });
      await finished(torrent);
      await expectFixtureOnDisk(fixture, out.path);
      expect((await readdir(join(out.path, "t"))).sort()).toEqual(["a.bin", "d", "z.bin"]);
    });
  }

  test("a peer sending corrupt data on a v2-only torrent is banned and the download still completes", async () => {
    await using out = await tempDir();
    const fixture = makeV2TorrentFixture({ name: "t", pieceLength: PIECE, files: FILES });
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
    expect(liar.stats.connections).toBe(1);
  });

  test("a seeder answers a hash request from the piece layers, and rejects one it cannot answer", async () => {
    await using dir = await tempDir();
    const fixture = makeV2TorrentFixture({ name: "t", pieceLength: PIECE, files: FILES });
    await writeFixtureFiles(fixture, dir.path);
    const c = client();
    await finished(c.addTorrent(fixture.meta, { outDir: dir.path, noTrackers: true }));
    const wire = await connectWireClient(c.port, fixture.meta.infoHash);
    defer(() => wire.end());
    expect(await wire.nextOf("handshake")).toBeDefined();
    const a = fixture.meta.v2!.files.find((f) => f.path[0] === "a.bin")!;
    const layer = fixture.meta.v2!.pieceLayers.get(toHex(a.piecesRoot!))!;
    // a.bin has 6 pieces (a layer padded to 8); the piece layer of 32 KiB pieces is layer 1.
    const req = { piecesRoot: a.piecesRoot!, baseLayer: 1, index: 4, length: 4, proofLayers: 3 };
    wire.send(encodeHashRequest(req));
    const answer = await wire.nextOf("unknown");
    expect(answer?.id).toBe(HASHES_ID);
    const { request, hashes } = decodeHashes(answer!.payload);
    expect(request).toEqual(req);
    expect(hashes.length).toBe((4 + 1) * 32); // 4 hashes, then the uncle of their subtree
    expect(toHex(hashes.subarray(0, 64))).toBe(toHex(layer.subarray(4 * 32, 6 * 32)));
    wire.send(encodeHashRequest({ ...req, piecesRoot: new Uint8Array(32) }));
    expect((await wire.nextOf("unknown"))?.id).toBe(HASH_REJECT_ID);
  });

  test("a hybrid torrent also takes peers of its v2 swarm: a handshake with the truncated v2 hash is answered in kind", async () => {
    await using dir = await tempDir();
    const fixture = makeV2TorrentFixture({ name: "t", pieceLength: PIECE, files: FILES, hybrid: true });
    await writeFixtureFiles(fixture, dir.path);
    const c = client();
    await finished(c.addTorrent(fixture.meta, { outDir: dir.path, noTrackers: true }));
    const v2Hash = fixture.meta.v2!.infoHash.subarray(0, 20);
    const wire = await connectWireClient(c.port, v2Hash, { reserved: makeReserved({ fast: true }) });
    defer(() => wire.end());
    const hs = await wire.nextOf("handshake");
    expect(toHex(hs!.hs.infoHash)).toBe(toHex(v2Hash));
    expect(await wire.nextOf("have_all")).toBeDefined();
    wire.send(encodeMessage({ type: "interested" }));
    expect(await wire.nextOf("unchoke")).toBeDefined();
    wire.send(encodeMessage({ type: "request", index: 0, begin: 0, length: 16384 }));
    const piece = await wire.nextOf("piece");
    expect(toHex(piece!.block)).toBe(toHex(fixture.data.subarray(0, 16384)));
  });

  test("a hybrid torrent announces to its trackers under both info hashes (v1, and v2 truncated)", async () => {
    await using tracker = await startFakeTracker();
    await using dir = await tempDir();
    const fixture = makeV2TorrentFixture({ name: "t", pieceLength: PIECE, files: FILES, hybrid: true, announce: tracker.url });
    await writeFixtureFiles(fixture, dir.path);
    client().addTorrent(fixture.meta, { outDir: dir.path });
    const announces = await tracker.waitForAnnounces(2);
    const hashes = new Set(announces.map((a) => toHex(a.infoHash!)));
    expect(hashes).toEqual(new Set([fixture.meta.infoHashHex, fixture.meta.v2!.infoHashHex.slice(0, 40)]));
  });

  test("a v2-only magnet (urn:btmh) downloads from a ripple seeder: metadata, piece layers, data", async () => {
    await using seedDir = await tempDir();
    await using out = await tempDir();
    // a.bin and z.bin are larger than a piece: their layers come by hash requests.
    const fixture = makeV2TorrentFixture({ name: "t", pieceLength: PIECE, files: FILES });
    await writeFixtureFiles(fixture, seedDir.path);
    const seeder = client();
    await finished(seeder.addTorrent(fixture.meta, { outDir: seedDir.path, noTrackers: true }));
    const magnet = parseMagnet(formatMagnet({ infoHashV2: fixture.meta.v2!.infoHash, v2Only: true }));
    const { torrent } = client().addMagnet(magnet, { outDir: out.path, noTrackers: true, peers: [{ host: "127.0.0.1", port: seeder.port }] });
    const t = await torrent;
    expect(t.meta.v2?.pieceLayers.size).toBe(2);
    await finished(t);
    await expectFixtureOnDisk(fixture, out.path);
  });
});
