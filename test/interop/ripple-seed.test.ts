// Real clients downloading from `ripple seed` (the compiled binary) on 127.0.0.1 with discovery off,
// found through opentracker over HTTP: aria2c dials ripple; Transmission never dials loopback peers, so
// ripple dials it after learning its address from the tracker, as a real seeder does.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startTrackerServer } from "../../src/tracker/index.ts";
import { silentLogger } from "../../src/util/index.ts";
import { rippleBinary } from "../helpers/binary.ts";
import {
  compareTrees,
  createTorrentWithMktorrent,
  makePayloadTree,
  missingBinaries,
  spawnManaged,
  startAria2Leecher,
  startOpentracker,
  startTransmissionLeecher,
  stopAllManaged,
  tempDir,
  waitFor,
} from "../helpers/real-peers.ts";

afterEach(stopAllManaged);

/** Starts `ripple seed --json` and waits for its "seeding" event; returns the process and its port. */
async function startRippleSeeder(torrentPath: string, dataDir: string) {
  const binary = await rippleBinary();
  const proc = await spawnManaged([binary, "seed", torrentPath, "-o", dataDir, "--port", "0", "--json"], { name: "ripple seeder" });
  let port = 0;
  await waitFor(
    () => {
      if (proc.hasExited) throw new Error(`ripple seed exited early:\n${proc.log()}`);
      const events = proc.log().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { event: string; port?: number });
      port = events.find((e) => e.event === "metadata")?.port ?? 0;
      return events.some((e) => e.event === "seeding");
    },
    { what: "ripple seed to verify its data and start seeding", timeoutMs: 20_000 },
  );
  return { proc, port };
}

describe("real peers download from ripple seed", () => {
  test.skipIf(missingBinaries("opentracker", "mktorrent", "aria2c"))(
    "aria2c leecher via opentracker: byte-identical multi-file download",
    async () => {
      await using work = await tempDir();
      await using tracker = await startOpentracker();
      const payload = await makePayloadTree(join(work.path, "seed"));
      const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl: tracker.announceUrl, outPath: join(work.path, "p.torrent") });
      await tracker.allow(torrent.infoHash);
      const seeder = await startRippleSeeder(torrent.path, payload.dir);
      await tracker.waitForPeer(torrent.infoHash, seeder.port);

      const out = join(work.path, "leech");
      await using leecher = await startAria2Leecher({ torrentPath: torrent.path, dataDir: out });
      await leecher.waitDone({ timeoutMs: 40_000 });
      expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
      expect(seeder.proc.log()).toContain('"action":"connected"');
    },
  );

  test.skipIf(missingBinaries("opentracker", "mktorrent", "transmission-daemon"))(
    "Transmission leecher via opentracker: ripple dials it; identical apart from the empty file",
    async () => {
      await using work = await tempDir();
      await using tracker = await startOpentracker();
      const payload = await makePayloadTree(join(work.path, "seed"));
      const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl: tracker.announceUrl, outPath: join(work.path, "p.torrent") });
      await tracker.allow(torrent.infoHash);

      const out = join(work.path, "leech");
      await using leecher = await startTransmissionLeecher({ torrentPath: torrent.path, dataDir: out });
      await tracker.waitForPeer(torrent.infoHash, leecher.port);
      // ripple's first announce returns the leecher; ripple dials it.
      await startRippleSeeder(torrent.path, payload.dir);
      await leecher.waitDone({ timeoutMs: 45_000 });
      await leecher.stop(); // flushes Transmission's write cache
      // Transmission does not create 0-byte files.
      expect(await compareTrees(payload.root, join(out, torrent.name), { ignoreEmptyFiles: true })).toEqual([]);
    },
  );

  test.skipIf(missingBinaries("mktorrent", "aria2c", "transmission-daemon"))(
    "through ripple's own tracker: aria2c and Transmission find the ripple seeder",
    async () => {
      await using work = await tempDir();
      const tracker = await startTrackerServer({ host: "127.0.0.1", port: 0, http: true, udp: true, intervalSec: 60, log: silentLogger });
      try {
        const announce = `http://127.0.0.1:${tracker.httpPort}/announce`;
        const payload = await makePayloadTree(join(work.path, "seed"));
        const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl: announce, outPath: join(work.path, "p.torrent") });
        // Transmission announces first (it never dials loopback peers); the seeder's first announce
        // returns it and the seeder dials it. aria2c, later, dials the seeder it is given.
        const tOut = join(work.path, "leech-transmission");
        await using transmission = await startTransmissionLeecher({ torrentPath: torrent.path, dataDir: tOut });
        await waitFor(() => tracker.stats().peers >= 1, { what: "Transmission to announce to ripple's tracker", timeoutMs: 20_000 });
        await startRippleSeeder(torrent.path, payload.dir);
        const aOut = join(work.path, "leech-aria2");
        await using aria2 = await startAria2Leecher({ torrentPath: torrent.path, dataDir: aOut });
        await aria2.waitDone({ timeoutMs: 40_000 });
        await transmission.waitDone({ timeoutMs: 45_000 });
        await transmission.stop();
        expect(await compareTrees(payload.root, join(aOut, torrent.name))).toEqual([]);
        expect(await compareTrees(payload.root, join(tOut, torrent.name), { ignoreEmptyFiles: true })).toEqual([]);
      } finally {
        await tracker.stop();
      }
    },
    120_000,
  );
});

