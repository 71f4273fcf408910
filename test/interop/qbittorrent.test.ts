// qBittorrent (qbittorrent-nox 4.5) with encryption required (Session\Encryption=1) seeding to ripple and
// leeching from it, on 127.0.0.1 with discovery off; ripple dials it (--peer) both ways. Byte-identical.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startQbittorrent } from "../helpers/qbittorrent-peer.ts";
import { compareTrees, createTorrentWithMktorrent, makePayloadTree, missingBinaries, stopAllManaged, tempDir } from "../helpers/real-peers.ts";
import { connectedEncryption, startRipple } from "../helpers/ripple-process.ts";

afterEach(stopAllManaged);

async function payloadTorrent(dir: string) {
  const payload = await makePayloadTree(join(dir, "seed"));
  // Nobody listens on port 1: qBittorrent's announces get a refused loopback connection.
  const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl: "http://127.0.0.1:1/announce", outPath: join(dir, "p.torrent") });
  return { payload, torrent };
}

describe("qBittorrent with encryption required", () => {
  test.skipIf(missingBinaries("mktorrent", "qbittorrent-nox"))("seeding to ripple: RC4, byte-identical", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    await using qbt = await startQbittorrent({ torrentPath: torrent.path, dataDir: payload.dir, infoHash: torrent.infoHash, encryption: 1 });
    await qbt.waitComplete(30_000); // it has checked the data and seeds
    const out = join(work.path, "leech");
    await using ripple = await startRipple(["download", torrent.path, "-o", out, "--port", "0", "--no-trackers", "--peer", `127.0.0.1:${qbt.port}`], "ripple leecher");
    await ripple.waitEvent((e) => e.event === "done", "the download to finish", 45_000);
    expect(connectedEncryption(ripple)).toContain("rc4");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);

  test.skipIf(missingBinaries("mktorrent", "qbittorrent-nox"))("leeching from ripple seed: RC4, byte-identical", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    const out = join(work.path, "leech");
    await using qbt = await startQbittorrent({ torrentPath: torrent.path, dataDir: out, infoHash: torrent.infoHash, encryption: 1 });
    await using ripple = await startRipple(["seed", torrent.path, "-o", payload.dir, "--port", "0", "--no-trackers", "--peer", `127.0.0.1:${qbt.port}`], "ripple seeder");
    await qbt.waitComplete(45_000);
    await qbt.stop(); // flushes its files
    expect(connectedEncryption(ripple)).toContain("rc4");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);
});
