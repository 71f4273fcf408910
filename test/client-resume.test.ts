// Restarts and file selection through the public Client, against in-process fake seeders that count the
// requests they get: a clean stop leaves a resume file that the next start trusts (nothing hashed,
// nothing fetched twice); changed or corrupt state falls back to hashing; unselected files never appear.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Client, type Torrent, type TorrentStats } from "../src/index.ts";
import type { AddTorrentOptions } from "../src/client.ts";
import { startFakeSeeder, type FakeSeeder } from "./helpers/fake-peer.ts";
import { tempDir } from "./helpers/process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles, type TorrentFixture } from "./helpers/torrent-fixture.ts";
import { expectFixtureOnDisk } from "./helpers/files.ts";
import { finished } from "./helpers/torrents.ts";

const BLOCK = 16384;
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

function seeder(fixture: TorrentFixture, options: Parameters<typeof startFakeSeeder>[1] = {}): FakeSeeder {
  const s = startFakeSeeder({ infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data }, options);
  open.push({ close: () => s.stop() });
  return s;
}

interface Run {
  torrent: Torrent;
  client: Client;
  /** Pieces hashed at start ("checking" events). */
  hashed: () => number;
}

function start(fixture: TorrentFixture, outDir: string, s: FakeSeeder | undefined, extra: Partial<AddTorrentOptions> = {}): Run {
  const client = new Client({ port: 0, host: "127.0.0.1" });
  open.push(client);
  const torrent = client.addTorrent(fixture.meta, { outDir, noTrackers: true, ...(s && { peers: [{ host: "127.0.0.1", port: s.port }] }), ...extra });
  let hashed = 0;
  torrent.on("checking", (c) => (hashed = c.piecesToCheck));
  return { torrent, client, hashed: () => hashed };
}


const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** 24 pieces of 2 blocks over three files: a (5.5 pieces), b (empty), c (the rest). */
function threeFiles(): TorrentFixture {
  return makeTorrentFixture({
    name: "three",
    pieceLength: 2 * BLOCK,
    files: [
      { path: ["a.bin"], data: patternBytes(5 * 2 * BLOCK + BLOCK, 11) },
      { path: ["b", "empty"], data: new Uint8Array(0) },
      { path: ["c.bin"], data: patternBytes(18 * 2 * BLOCK + BLOCK, 12) },
    ],
  });
}

describe("resume file", () => {
  test("after a clean stop, a restart trusts it: nothing hashed, nothing fetched again", async () => {
    await using out = await tempDir();
    const fixture = threeFiles();
    // It serves 12 of the 25 pieces, then chokes: the first run cannot finish, however the stop is timed.
    const slow = seeder(fixture, { chokeAfterBlocks: 24 });
    const first = start(fixture, out.path, slow);
    await new Promise<void>((resolve) => first.torrent.on("piece", () => first.torrent.stats().piecesDone >= 6 && resolve()));
    await first.client.close();
    const had = first.torrent.stats().piecesDone;
    expect(had).toBeLessThan(fixture.meta.pieceCount);
    expect(existsSync(join(out.path, "three.ripple"))).toBe(true);

    const counted = seeder(fixture);
    const second = start(fixture, out.path, counted);
    const ready = await new Promise<TorrentStats>((resolve) => second.torrent.on("ready", resolve));
    expect(ready.piecesDone).toBe(had);
    expect(second.hashed()).toBe(0);
    await finished(second.torrent);
    await expectFixtureOnDisk(fixture, out.path, { only: [0, 2] });
    // Each piece the first run verified was never asked for again.
    const requested = counted.stats.requests;
    expect(sum(requested)).toBe(2 * (fixture.meta.pieceCount - had));
  }, 30_000);

  test("a file changed behind ripple's back: only its pieces are hashed, a damaged one fetched again", async () => {
    await using out = await tempDir();
    const fixture = threeFiles();
    await writeFixtureFiles(fixture, out.path);
    const first = start(fixture, out.path, undefined);
    await finished(first.torrent); // complete on disk: hashes all, writes the resume file
    await first.client.close();

    const path = join(out.path, "three", "c.bin");
    const bytes = new Uint8Array(await readFile(path));
    bytes[10 * 2 * BLOCK + 5]! ^= 1; // inside c.bin, in torrent piece 15
    await writeFile(path, bytes);

    const s = seeder(fixture);
    const second = start(fixture, out.path, s);
    await finished(second.torrent);
    // Pieces touching c.bin: 5 (shared with a.bin) to 23.
    expect(second.hashed()).toBe(fixture.meta.pieceCount - 5);
    expect(s.stats.requests.map((n, i) => (n > 0 ? i : -1)).filter((i) => i >= 0)).toEqual([15]);
    await expectFixtureOnDisk(fixture, out.path, { only: [2] });
  });

  test("a corrupt resume file or a torn temp file: everything on disk is hashed, nothing lost", async () => {
    await using out = await tempDir();
    const fixture = threeFiles();
    await writeFixtureFiles(fixture, out.path);
    await writeFile(join(out.path, "three.ripple"), "d6:formatgarbage");
    await writeFile(join(out.path, "three.ripple.tmp"), "half a file");
    const run = start(fixture, out.path, undefined);
    const done = await finished(run.torrent);
    expect(run.hashed()).toBe(fixture.meta.pieceCount);
    expect(done.downloadedBytes).toBe(0);
    expect(existsSync(join(out.path, "three.ripple.tmp"))).toBe(false);
  });
});

describe("file selection", () => {
  test("unselected files never appear; shared pieces are fetched; widening later completes the rest", async () => {
    await using out = await tempDir();
    const fixture = threeFiles();
    const s = seeder(fixture);
    const first = start(fixture, out.path, s, { files: { select: [0] } });
    const stats = await finished(first.torrent);
    await first.client.close();
    await expectFixtureOnDisk(fixture, out.path, { only: [0] });
    // a.bin is 5.5 pieces: pieces 0-5, piece 5 shared with c.bin.
    expect(stats.totalBytes).toBe(6 * 2 * BLOCK);
    expect(s.stats.requests.map((n) => (n > 0 ? 1 : 0)).join("")).toBe("111111" + "0".repeat(18));
    expect(await readdir(join(out.path, "three"))).toEqual(["a.bin"]);
    // c.bin's half of piece 5 waits in the parts store.
    expect(await readdir(join(out.path, "three.ripple-parts"))).toEqual(["5"]);

    const second = start(fixture, out.path, s);
    await finished(second.torrent);
    await expectFixtureOnDisk(fixture, out.path);
    expect(existsSync(join(out.path, "three.ripple-parts"))).toBe(false);
    // Piece 5 came from the parts store, not from the seeder again.
    expect(s.stats.requests[5]).toBe(2);
  });

  test("--exclude globs match paths and base names", async () => {
    await using out = await tempDir();
    const fixture = threeFiles();
    const s = seeder(fixture);
    const run = start(fixture, out.path, s, { files: { exclude: ["c.*", "b/**"] } });
    await finished(run.torrent);
    expect(await readdir(join(out.path, "three"))).toEqual(["a.bin"]);
  });
});
