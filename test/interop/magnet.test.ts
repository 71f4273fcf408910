// Magnet links against real clients on 127.0.0.1 (discovery off), through opentracker: ripple fetches the
// metadata from an aria2c seeder and from a Transmission seeder (the only sources), and aria2c fetches it
// from a ripple seeder. Outputs are compared with the seeded files.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { rippleBinary } from "../helpers/binary.ts";
import { runRipple } from "../helpers/ripple-run.ts";
import {
  compareTrees,
  createTorrentWithMktorrent,
  makePayloadTree,
  missingBinaries,
  spawnManaged,
  startAria2Leecher,
  startAria2Seeder,
  startOpentracker,
  startTransmissionSeeder,
  stopAllManaged,
  tempDir,
  waitFor,
} from "../helpers/real-peers.ts";

afterEach(stopAllManaged);

const magnetOf = (infoHash: string, announce: string) => `magnet:?xt=urn:btih:${infoHash}&dn=payload&tr=${encodeURIComponent(announce)}`;

function rippleDownload(args: string[], timeoutMs: number): Promise<{ code: number; log: string }> {
  return runRipple(["download", ...args, "--port", "0", "--json", "--metadata-timeout", "60s"], timeoutMs, "ripple magnet leecher");
}

describe("magnet links with real peers", () => {
  test.skipIf(missingBinaries("opentracker", "mktorrent", "aria2c"))("ripple gets the metadata and the data from an aria2c seeder", async () => {
    await using work = await tempDir();
    await using tracker = await startOpentracker();
    const payload = await makePayloadTree(join(work.path, "seed"));
    const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl: tracker.announceUrl, outPath: join(work.path, "p.torrent") });
    await tracker.allow(torrent.infoHash);
    await using seeder = await startAria2Seeder({ torrentPath: torrent.path, dataDir: payload.dir });
    await tracker.waitForPeer(torrent.infoHash, seeder.port);
    const out = join(work.path, "leech");
    const saved = join(work.path, "fetched.torrent");
    const r = await rippleDownload([magnetOf(torrent.infoHash, tracker.announceUrl), "-o", out, "--save-torrent", saved], 50_000);
    expect(r.code, r.log).toBe(0);
    expect(r.log).toContain('"event":"fetching"');
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
    // The saved .torrent has the same info dictionary as mktorrent's.
    const info = Bun.spawnSync([await rippleBinary(), "info", saved, "--json"]).stdout.toString();
    expect(JSON.parse(info).infoHash).toBe(torrent.infoHash);
  }, 90_000);

  test.skipIf(missingBinaries("opentracker", "mktorrent", "transmission-daemon"))("ripple gets the metadata and the data from a Transmission seeder", async () => {
    await using work = await tempDir();
    await using tracker = await startOpentracker();
    const payload = await makePayloadTree(join(work.path, "seed"));
    const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl: tracker.announceUrl, outPath: join(work.path, "p.torrent") });
    await tracker.allow(torrent.infoHash);
    await using seeder = await startTransmissionSeeder({ torrentPath: torrent.path, dataDir: payload.dir });
    await tracker.waitForPeer(torrent.infoHash, seeder.port);
    const out = join(work.path, "leech");
    const r = await rippleDownload([magnetOf(torrent.infoHash, tracker.announceUrl), "-o", out], 70_000);
    expect(r.code, r.log).toBe(0);
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 90_000);

  test.skipIf(missingBinaries("opentracker", "mktorrent", "aria2c"))("aria2c gets the metadata and the data from a ripple seeder", async () => {
    await using work = await tempDir();
    await using tracker = await startOpentracker();
    const payload = await makePayloadTree(join(work.path, "seed"));
    const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl: tracker.announceUrl, outPath: join(work.path, "p.torrent") });
    await tracker.allow(torrent.infoHash);
    const seed = await spawnManaged([await rippleBinary(), "seed", torrent.path, "-o", payload.dir, "--port", "0", "--json"], { name: "ripple seeder" });
    await waitFor(() => seed.log().includes('"event":"tracker"'), { what: "ripple seed to announce", timeoutMs: 20_000 });
    const out = join(work.path, "leech");
    await using leecher = await startAria2Leecher({ torrentPath: torrent.path, magnet: magnetOf(torrent.infoHash, tracker.announceUrl), dataDir: out });
    await leecher.waitDone({ timeoutMs: 50_000 });
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 90_000);
});
