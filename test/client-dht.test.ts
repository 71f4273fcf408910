// Trackerless on loopback: a ripple seeder announces through the DHT and a ripple leecher with a magnet
// that names nothing but the info hash finds it there, fetches the metadata and the data. The DHT has a
// ripple bootstrap node and a `bittorrent-dht` node (an independent implementation); every address is
// 127.0.0.1 and every bootstrap list is explicit (never the public routers).

import { afterEach, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import DHT from "bittorrent-dht";
import { Client } from "../src/index.ts";
import { startDhtNode } from "../src/dht/index.ts";
import { formatMagnet, parseMagnet } from "../src/metainfo/index.ts";
import { tempDir } from "./helpers/process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles } from "./helpers/torrent-fixture.ts";
import { finished } from "./helpers/torrents.ts";

const LOOPBACK = "127.0.0.1";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});


/** Every node here shares 127.0.0.1, so the per-IP reply limit is lifted for the network's own nodes. */
const SWARM_LIMITS = { perIpPerSecond: 1e6, perIpBurst: 1e6, totalPerSecond: 1e6 };

/**
 * A loopback DHT to join: a ripple bootstrap node, `extra` more ripple nodes and a bittorrent-dht node,
 * all knowing the bootstrap node; returns the addresses to bootstrap from.
 */
async function loopbackDht(extra = 0) {
  const boot = await startDhtNode({ host: LOOPBACK, port: 0, bootstrap: [], replyLimits: SWARM_LIMITS });
  cleanups.push(() => boot.stop());
  const bootAddress = { host: LOOPBACK, port: boot.port };
  for (let i = 0; i < extra; i++) {
    const node = await startDhtNode({ host: LOOPBACK, port: 0, bootstrap: [bootAddress], replyLimits: SWARM_LIMITS });
    cleanups.push(() => node.stop());
    await node.ready;
  }
  const foreign = new DHT({ bootstrap: [`${LOOPBACK}:${boot.port}`] }); // loopback only
  await new Promise<void>((resolve) => foreign.listen(0, LOOPBACK, resolve));
  cleanups.push(() => new Promise<void>((resolve) => foreign.destroy(() => resolve())));
  return [bootAddress, { host: LOOPBACK, port: foreign.address().port as number }];
}

describe("the DHT in the client", () => {
  test("a magnet with only an info hash: peers from a 20-node DHT (with bittorrent-dht), metadata and data", async () => {
    await using work = await tempDir();
    const bootstrap = await loopbackDht(20);
    const fixture = makeTorrentFixture({ name: "dht", pieceLength: 16384, files: [{ path: ["x.bin"], data: patternBytes(200_000, 111) }] });
    await writeFixtureFiles(fixture, join(work.path, "seed"));

    const seeder = new Client({ port: 0, host: LOOPBACK, dht: { port: 0, host: LOOPBACK, bootstrap, statePath: join(work.path, "seed-dht.json") } });
    cleanups.push(() => seeder.close());
    const seeding = seeder.addTorrent(fixture.meta, { outDir: join(work.path, "seed") });
    // The seeder's first DHT round (lookup, then announce_peer) reports through the tracker event.
    await new Promise<void>((resolve) => seeding.on("tracker", ({ url }) => url === "dht" && resolve()));

    const leecher = new Client({ port: 0, host: LOOPBACK, dht: { port: 0, host: LOOPBACK, bootstrap, statePath: join(work.path, "leech-dht.json") } });
    cleanups.push(() => leecher.close());
    const magnet = parseMagnet(formatMagnet({ infoHash: fixture.meta.infoHash }));
    expect(magnet.trackers).toEqual([]);
    expect(magnet.peers).toEqual([]);
    const { torrent } = leecher.addMagnet(magnet, { outDir: join(work.path, "out") });
    const t = await torrent;
    await finished(t);
    expect(Bun.hash(await readFile(join(work.path, "out", "dht", "x.bin")))).toBe(Bun.hash(fixture.files[0]!.data));
  }, 60_000);

  test("a private torrent never uses the DHT", async () => {
    await using work = await tempDir();
    const bootstrap = await loopbackDht();
    const fixture = makeTorrentFixture({ name: "priv", pieceLength: 16384, private: true, data: patternBytes(50_000, 112) });
    await writeFixtureFiles(fixture, join(work.path, "seed"));
    const c = new Client({ port: 0, host: LOOPBACK, dht: { port: 0, host: LOOPBACK, bootstrap } });
    cleanups.push(() => c.close());
    const t = c.addTorrent(fixture.meta, { outDir: join(work.path, "seed") });
    const sources: string[] = [];
    t.on("tracker", ({ url }) => sources.push(url));
    await finished(t);
    // Two ticks of the torrent, long enough for a DHT round to report if one had started.
    await new Promise<void>((resolve) => {
      let ticks = 0;
      t.on("progress", () => ++ticks === 2 && resolve());
    });
    expect(sources).toEqual([]);
  });
});
