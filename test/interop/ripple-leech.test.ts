// The compiled ripple downloading from real clients on 127.0.0.1 with discovery off: a mktorrent-made
// multi-file torrent seeded by aria2c and by Transmission, found through opentracker over HTTP.
// The output must be byte-identical to the seeder's files.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runRipple } from "../helpers/ripple-run.ts";
import {
  compareTrees,
  createTorrentWithMktorrent,
  freePort,
  makePayloadTree,
  missingBinaries,
  startAria2Seeder,
  startOpentracker,
  startTransmissionSeeder,
  stopAllManaged,
  tempDir,
} from "../helpers/real-peers.ts";

afterEach(stopAllManaged);

/** Runs `ripple download` to completion; returns its exit code and log. */
function rippleDownload(torrentPath: string, outDir: string, timeoutMs: number): Promise<{ code: number; log: string }> {
  return runRipple(["download", torrentPath, "-o", outDir, "--port", "0", "--verbose"], timeoutMs, "ripple leecher");
}

describe("ripple downloads from real peers", () => {
  test.skipIf(missingBinaries("opentracker", "mktorrent", "aria2c"))(
    "aria2c seeder via opentracker (HTTP): byte-identical multi-file download",
    async () => {
      await using work = await tempDir();
      await using tracker = await startOpentracker();
      const payload = await makePayloadTree(join(work.path, "seed"));
      const torrent = await createTorrentWithMktorrent({
        sourcePath: payload.root,
        announceUrl: tracker.announceUrl,
        outPath: join(work.path, "payload.torrent"),
      });
      await tracker.allow(torrent.infoHash);
      await using seeder = await startAria2Seeder({ torrentPath: torrent.path, dataDir: payload.dir });
      await tracker.waitForPeer(torrent.infoHash, seeder.port);

      const out = join(work.path, "leech");
      const result = await rippleDownload(torrent.path, out, 45_000);
      expect(result.code, result.log).toBe(0);
      expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
    },
  );

  test.skipIf(missingBinaries("opentracker", "mktorrent", "transmission-daemon"))(
    "Transmission seeder via opentracker (HTTP): byte-identical multi-file download",
    async () => {
      await using work = await tempDir();
      const trackerPort = await freePort({ udp: true });
      const payload = await makePayloadTree(join(work.path, "seed"));
      const torrent = await createTorrentWithMktorrent({
        sourcePath: payload.root,
        announceUrl: `http://127.0.0.1:${trackerPort}/announce`,
        outPath: join(work.path, "payload.torrent"),
      });
      await using tracker = await startOpentracker({ infoHashes: [torrent.infoHash], port: trackerPort });
      await using seeder = await startTransmissionSeeder({ torrentPath: torrent.path, dataDir: payload.dir });
      await tracker.waitForPeer(torrent.infoHash, seeder.port);

      // Transmission never dials loopback peers; ripple dials it from the tracker's list.
      const out = join(work.path, "leech");
      const result = await rippleDownload(torrent.path, out, 50_000);
      expect(result.code, result.log).toBe(0);
      expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
    },
  );
});
