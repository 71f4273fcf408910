// Magnet links over loopback with ripple Clients: the metadata comes from a ripple seeder (BEP 9), the
// download continues into the files, and a peer learned only through peer exchange (BEP 11) is used.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Client, type Torrent } from "../src/index.ts";
import { formatMagnet, parseMagnet } from "../src/metainfo/index.ts";
import { tempDir } from "./helpers/process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles, type TorrentFixture } from "./helpers/torrent-fixture.ts";
import { expectFixtureOnDisk } from "./helpers/files.ts";
import { finished, useClients } from "./helpers/torrents.ts";

const { client } = useClients();


function fixture(): TorrentFixture {
  return makeTorrentFixture({
    name: "mag",
    pieceLength: 16384,
    files: [
      { path: ["one.bin"], data: patternBytes(300_000, 101) },
      { path: ["sub", "two.bin"], data: patternBytes(123_457, 102) },
    ],
  });
}

async function seeder(f: TorrentFixture, dir: string, options: ConstructorParameters<typeof Client>[0] = {}) {
  await writeFixtureFiles(f, dir);
  const c = client(options);
  await finished(c.addTorrent(f.meta, { outDir: dir, noTrackers: true }));
  return c;
}

describe("magnet links", () => {
  test("metadata from a ripple seeder, then the download, byte-identical", async () => {
    await using work = await tempDir();
    const f = fixture();
    const seed = await seeder(f, join(work.path, "seed"));
    const magnet = parseMagnet(formatMagnet({ infoHash: f.meta.infoHash, name: "mag", peers: [{ host: "127.0.0.1", port: seed.port }] }));
    const { fetcher, torrent } = client().addMagnet(magnet, { outDir: join(work.path, "out"), noTrackers: true });
    const progress: number[] = [];
    fetcher.on("progress", (p) => progress.push(p.piecesDone));
    const t = await torrent;
    expect(t.meta.infoHashHex).toBe(f.meta.infoHashHex);
    expect(t.meta.files.map((x) => x.path.join("/"))).toEqual(["one.bin", "sub/two.bin"]);
    expect(Math.max(...progress)).toBeGreaterThan(0);
    await finished(t);
    await expectFixtureOnDisk(f, join(work.path, "out"));
  });

  test("a peer learned only through PEX is used", async () => {
    await using work = await tempDir();
    const f = fixture();
    // The first leecher downloads slowly (its own limit), so it is still connected to the seeder, and
    // holds pieces, when the second arrives (once both are complete they would part).
    const seed = await seeder(f, join(work.path, "seed"));
    const first = client({ maxDownloadRate: 32 * 1024 });
    const firstTorrent = first.addTorrent(f.meta, { outDir: join(work.path, "first"), noTrackers: true, peers: [{ host: "127.0.0.1", port: seed.port }] });
    await new Promise<void>((resolve) => firstTorrent.on("piece", () => resolve()));

    const magnet = parseMagnet(formatMagnet({ infoHash: f.meta.infoHash, peers: [{ host: "127.0.0.1", port: seed.port }] }));
    // Slow too, so it is still downloading when the seeder's first PEX message arrives (within a second
    // or two): a finished peer parts from the seeder and would hear nothing.
    const second = client({ maxDownloadRate: 96 * 1024 });
    const { torrent } = second.addMagnet(magnet, { outDir: join(work.path, "second"), noTrackers: true });
    const t = await torrent;
    // Each knew only the seeder, so one dialing the other's listen port means PEX told it.
    const dialed = (torrent: Torrent, port: number) =>
      new Promise<void>((resolve) => torrent.on("peer", (p) => p.event === "connected" && p.address === `127.0.0.1:${port}` && resolve()));
    const met = Promise.race([dialed(t, first.port), dialed(firstTorrent, second.port)]);
    await finished(t);
    await met;
    await expectFixtureOnDisk(f, join(work.path, "second"));
  }, 30_000);

  test("the client closing during the metadata phase rejects the torrent promise", async () => {
    const f = fixture();
    const c = new Client({ port: 0, host: "127.0.0.1" });
    const magnet = parseMagnet(formatMagnet({ infoHash: f.meta.infoHash, peers: [{ host: "127.0.0.1", port: 1 }] }));
    const { torrent } = c.addMagnet(magnet, { outDir: "/nonexistent", noTrackers: true });
    await c.close();
    await expect(torrent).rejects.toThrow(/closed before the metadata arrived/);
  });
});
