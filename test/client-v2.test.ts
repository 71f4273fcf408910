// BEP 52 downloads through the public Client from in-process fake seeders on 127.0.0.1: a v2-only
// torrent (truncated v2 hash in the handshake, pieces checked against piece layers and roots, implied pad
// files never written), a hybrid one, and a peer sending corrupt v2 data banned by the smart ban.

import { afterEach, describe, expect, test } from "bun:test";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "../src/index.ts";
import { startFakeSeeder, type FakeSeeder, type FakeSeederOptions } from "./helpers/fake-peer.ts";
import { expectFixtureOnDisk } from "./helpers/files.ts";
import { tempDir } from "./helpers/process.ts";
import { makeV2TorrentFixture, patternBytes, type TorrentFixture } from "./helpers/torrent-fixture.ts";
import { finished } from "./helpers/torrents.ts";

const PIECE = 32768;
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

function seed(fixture: TorrentFixture, id: number, options: FakeSeederOptions = {}): FakeSeeder {
  const seeder = startFakeSeeder(
    { infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data },
    { peerId: new TextEncoder().encode(`-FK0001-v2seed${String(id).padStart(6, "0")}`), ...options },
  );
  open.push({ close: () => seeder.stop() });
  return seeder;
}

function client(): Client {
  const c = new Client({ port: 0, host: "127.0.0.1", encryption: "plain" }); // the fake peers speak plaintext only
  open.push(c);
  return c;
}

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
});
