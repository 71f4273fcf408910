// BEP 19 web seeds through the public Client: an in-process Bun.serve origin on 127.0.0.1 with Range
// support (alone, byte-identical, single and multi-file with pad and empty files), and origins that
// misbehave (corrupt bytes, no Range, 500s, a missing file) next to an in-process fake seeder peer.

import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { formatMagnet, parseMagnet, type Metainfo } from "../../src/metainfo/index.ts";
import type { Torrent, WebSeedEvent } from "../../src/swarm/index.ts";
import { startFakeSeeder, type FakeSeeder } from "../helpers/fake-peer.ts";
import { freePort } from "../helpers/ports.ts";
import { tempDir } from "../helpers/process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles, type TorrentFixture } from "../helpers/torrent-fixture.ts";
import { finished, useClients } from "../helpers/torrents.ts";
import { startWebSeedServer, type WebSeedServerOptions } from "../helpers/web-seed-server.ts";

const BLOCK = 16384;
const { client, defer } = useClients();

function singleFile(): TorrentFixture {
  return makeTorrentFixture({ name: "single.bin", pieceLength: 2 * BLOCK, data: patternBytes(40 * 2 * BLOCK + 100, 11) });
}

/** Pieces spanning files, empty files first, in the middle and last, a pad file, a name needing escapes. */
function multiFile(): TorrentFixture {
  return makeTorrentFixture({
    name: "multi dir",
    pieceLength: BLOCK,
    files: [
      { path: ["empty-first"], data: new Uint8Array(0) },
      { path: ["a.bin"], data: patternBytes(BLOCK + 10, 2) },
      { path: [".pad", "16374"], data: new Uint8Array(BLOCK - 10), pad: true },
      { path: ["dir", "b #1.bin"], data: patternBytes(20, 3) },
      { path: ["dir", "empty"], data: new Uint8Array(0) },
      { path: ["dir", "sub", "c%.bin"], data: patternBytes(6 * BLOCK + 7, 4) },
      { path: ["z-empty-last"], data: new Uint8Array(0) },
    ],
  });
}

async function origin(fixture: TorrentFixture, options: Omit<WebSeedServerOptions, "root"> = {}) {
  const root = await tempDir("ripple-origin-");
  defer(() => root[Symbol.asyncDispose]());
  await writeFixtureFiles(fixture, root.path);
  const server = startWebSeedServer({ root: root.path, ...options });
  defer(() => server.stop());
  return server;
}

function seeder(fixture: TorrentFixture): FakeSeeder {
  const s = startFakeSeeder({ infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data });
  defer(() => s.stop());
  return s;
}

function withWebSeeds(meta: Metainfo, urls: string[]): Metainfo {
  return { ...meta, urlList: urls };
}

function events(torrent: Torrent): WebSeedEvent[] {
  const seen: WebSeedEvent[] = [];
  torrent.on("webseed", (e) => seen.push(e));
  return seen;
}

/** Resolves with the first `webseed` event of this action. */
function webSeedEvent(torrent: Torrent, action: WebSeedEvent["action"]): Promise<WebSeedEvent> {
  return new Promise((resolve) => torrent.on("webseed", (e) => e.action === action && resolve(e)));
}

/** The web seed alone until it misbehaves (the event), then a peer: the download must finish from it. */
async function thenPeer(torrent: Torrent, fixture: TorrentFixture, action: WebSeedEvent["action"]): Promise<{ event: WebSeedEvent; peer: FakeSeeder }> {
  const event = await webSeedEvent(torrent, action);
  const peer = seeder(fixture);
  torrent.addPeers([{ host: "127.0.0.1", port: peer.port }]);
  await finished(torrent);
  return { event, peer };
}

async function expectFilesMatch(fixture: TorrentFixture, outDir: string): Promise<void> {
  for (const file of fixture.files) {
    const path = fixture.meta.multiFile ? join(outDir, fixture.meta.name, ...file.path) : join(outDir, fixture.meta.name);
    if (file.pad) {
      expect(await Bun.file(path).exists()).toBe(false);
      continue;
    }
    const onDisk = new Uint8Array(await readFile(path));
    expect(onDisk.length).toBe(file.data.length);
    expect(Bun.hash(onDisk)).toBe(Bun.hash(file.data));
  }
}

describe("web seeds (BEP 19)", () => {
  test("a single-file torrent from a web seed alone, byte-identical", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const server = await origin(fixture);
    const torrent = client().addTorrent(withWebSeeds(fixture.meta, [server.url]), { outDir: out.path, noTrackers: true });
    const seen = events(torrent);
    const stats = await finished(torrent);
    await expectFilesMatch(fixture, out.path);
    expect(stats.downloadedBytes).toBe(fixture.meta.totalLength);
    expect(seen.map((e) => e.action)).toEqual(["started"]);
    // A trailing "/" gets the name appended; runs of pieces, not one request per piece.
    expect(new Set(server.requests.map((r) => r.path))).toEqual(new Set(["single.bin"]));
    expect(server.requests.length).toBeLessThan(fixture.meta.pieceCount);
  });

  test("a multi-file torrent from a web seed alone: pieces spanning files, empty and pad files", async () => {
    await using out = await tempDir();
    const fixture = multiFile();
    const server = await origin(fixture);
    // No trailing "/": BEP 19 puts the torrent's directory below the URL all the same.
    const torrent = client().addTorrent(withWebSeeds(fixture.meta, [server.url.slice(0, -1)]), { outDir: out.path, noTrackers: true });
    await finished(torrent);
    await expectFilesMatch(fixture, out.path);
    expect(await Bun.file(join(out.path, "multi dir", "dir", "empty")).exists()).toBe(true);
    const paths = new Set(server.requests.map((r) => r.path));
    expect(paths).toEqual(new Set(["multi dir/a.bin", "multi dir/dir/b #1.bin", "multi dir/dir/sub/c%.bin"]));
  });

  test("a web seed serving corrupt bytes is banned; the peers finish the download", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const server = await origin(fixture, { behaviour: "corrupt" });
    const torrent = client().addTorrent(withWebSeeds(fixture.meta, [server.url]), { outDir: out.path, noTrackers: true });
    const { event } = await thenPeer(torrent, fixture, "banned");
    await expectFilesMatch(fixture, out.path);
    expect(event.url).toBe(server.url);
    expect(event.reason).toMatch(/failed its hash check/);
  });

  test("a server without Range support (200): a clear warning, the peers are used instead", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const server = await origin(fixture, { behaviour: "no-range" });
    const torrent = client().addTorrent(withWebSeeds(fixture.meta, [server.url]), { outDir: out.path, noTrackers: true });
    const warnings: string[] = [];
    torrent.on("warning", ({ message }) => warnings.push(message));
    const seen = events(torrent);
    const { event } = await thenPeer(torrent, fixture, "backoff");
    await expectFilesMatch(fixture, out.path);
    expect(warnings.filter((w) => w.includes(server.url) && /does not support Range requests/.test(w)).length).toBe(1);
    expect(event.reason).toMatch(/got 200/);
    expect(seen.some((e) => e.action === "started")).toBe(false);
  });

  test("HTTP 500s back off; the download completes from peers", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const server = await origin(fixture, { behaviour: "fail-500" });
    const torrent = client().addTorrent(withWebSeeds(fixture.meta, [server.url]), { outDir: out.path, noTrackers: true });
    const { event } = await thenPeer(torrent, fixture, "backoff");
    await expectFilesMatch(fixture, out.path);
    expect(event.reason).toMatch(/HTTP 500/);
    expect(event.retryInMs).toBeGreaterThan(0);
  });

  test("a body shorter than the range asked backs off; the download completes from peers", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const server = await origin(fixture, { behaviour: "short" });
    const torrent = client().addTorrent(withWebSeeds(fixture.meta, [server.url]), { outDir: out.path, noTrackers: true });
    const { event } = await thenPeer(torrent, fixture, "backoff");
    await expectFilesMatch(fixture, out.path);
    expect(event.reason).toMatch(/body ended after \d+ of \d+ bytes/);
  });

  test("a server nobody listens on (connection refused) backs off; peers finish the download", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const torrent = client().addTorrent(withWebSeeds(fixture.meta, [url]), { outDir: out.path, noTrackers: true });
    const { event } = await thenPeer(torrent, fixture, "backoff");
    await expectFilesMatch(fixture, out.path);
    expect(event.url).toBe(url);
    expect(event.bytes).toBe(0);
  });

  test("a 404 for one file of a multi-file torrent: that file's pieces come from peers", async () => {
    await using out = await tempDir();
    const fixture = multiFile();
    const server = await origin(fixture, { missing: ["multi dir/dir/sub/c%.bin"] });
    const torrent = client().addTorrent(withWebSeeds(fixture.meta, [server.url]), { outDir: out.path, noTrackers: true });
    const seen = events(torrent);
    const { peer } = await thenPeer(torrent, fixture, "failed");
    await expectFilesMatch(fixture, out.path);
    const failed = seen.filter((e) => e.action === "failed");
    expect(failed.length).toBe(1);
    expect(failed[0]!.reason).toMatch(/HTTP 404/);
    expect(seen.some((e) => e.action === "banned")).toBe(false);
    expect(peer.stats.blocksServed).toBeGreaterThan(0);
  });

  test("noWebSeeds: the origin is never asked", async () => {
    await using out = await tempDir();
    const fixture = singleFile();
    const server = await origin(fixture);
    const peer = seeder(fixture);
    const torrent = client().addTorrent(withWebSeeds(fixture.meta, [server.url]), {
      outDir: out.path,
      noTrackers: true,
      noWebSeeds: true,
      peers: [{ host: "127.0.0.1", port: peer.port }],
    });
    await finished(torrent);
    await expectFilesMatch(fixture, out.path);
    expect(server.requests).toEqual([]);
  });

  test("a magnet's ws= web seed is used once the metadata is in", async () => {
    await using work = await tempDir();
    const fixture = multiFile();
    const server = await origin(fixture);
    const seedDir = join(work.path, "seed");
    await writeFixtureFiles(fixture, seedDir);
    const seed = client();
    await finished(seed.addTorrent(fixture.meta, { outDir: seedDir, noTrackers: true, noWebSeeds: true }));
    const link = formatMagnet({ infoHash: fixture.meta.infoHash, peers: [{ host: "127.0.0.1", port: seed.port }], webSeeds: [server.url] });
    expect(link).toContain(`ws=${server.url}`);
    const { torrent } = client().addMagnet(parseMagnet(link), { outDir: join(work.path, "out"), noTrackers: true });
    const t = await torrent;
    expect(t.meta.urlList).toEqual([server.url]);
    await finished(t);
    await expectFilesMatch(fixture, join(work.path, "out"));
  });

  test("--max-download-rate: web seed requests are cut to the bucket's burst", async () => {
    await using out = await tempDir();
    const fixture = makeTorrentFixture({ name: "limited.bin", pieceLength: BLOCK, data: patternBytes(24 * BLOCK, 12) });
    const server = await origin(fixture);
    const rate = 256 * 1024; // burst: a quarter second, 64 KiB
    const torrent = client({ maxDownloadRate: rate }).addTorrent(withWebSeeds(fixture.meta, [server.url]), { outDir: out.path, noTrackers: true });
    await finished(torrent);
    await expectFilesMatch(fixture, out.path);
    const lengths = server.requests.map((r) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(r.range ?? "")!;
      return Number(m[2]) - Number(m[1]) + 1;
    });
    expect(Math.max(...lengths)).toBeLessThanOrEqual(rate / 4);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(fixture.meta.totalLength);
  });
});
