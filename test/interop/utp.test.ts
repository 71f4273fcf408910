// uTP (BEP 29) against libtorrent with TCP off both ways (uTP only, discovery off, 127.0.0.1): libtorrent
// seeding to ripple and leeching from ripple, byte-identical. ripple dials it with its default dial
// preference (TCP first on loopback, refused, then uTP).

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { missingLibtorrent, startLibtorrent } from "../helpers/libtorrent-peer.ts";
import { compareTrees, createTorrentWithMktorrent, freePort, makePayloadTree, missingBinaries, stopAllManaged, tempDir } from "../helpers/real-peers.ts";
import { startRipple, type RippleProcess } from "../helpers/ripple-process.ts";

afterEach(stopAllManaged);

/** Nobody listens on port 1. */
const NO_TRACKER = "http://127.0.0.1:1/announce";

async function payloadTorrent(dir: string) {
  const payload = await makePayloadTree(join(dir, "seed"));
  const torrent = await createTorrentWithMktorrent({ sourcePath: payload.root, announceUrl: NO_TRACKER, outPath: join(dir, "p.torrent") });
  return { payload, torrent };
}

const transports = (r: RippleProcess) =>
  r.events().filter((e) => e.event === "peer" && e.action === "connected").map((e) => (e as { transport?: string }).transport);

describe("libtorrent over uTP only", () => {
  test.skipIf(missingBinaries("mktorrent") || missingLibtorrent())("seeding to ripple: byte-identical", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    const port = await freePort();
    await using _lt = await startLibtorrent({ mode: "seed", torrentPath: torrent.path, dataDir: payload.dir, ip: "127.0.0.1", port, encryption: "enabled", utpOnly: true });
    const out = join(work.path, "leech");
    const args = ["download", torrent.path, "-o", out, "--port", "0", "--host", "127.0.0.1", "--no-trackers", "--peer", `127.0.0.1:${port}`];
    await using ripple = await startRipple(args, "ripple leecher");
    await ripple.waitEvent((e) => e.event === "done", "the download to finish", 60_000);
    expect(transports(ripple)).toContain("utp");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);

  test.skipIf(missingBinaries("mktorrent") || missingLibtorrent())("leeching from ripple seed: byte-identical", async () => {
    await using work = await tempDir();
    const { payload, torrent } = await payloadTorrent(work.path);
    await using ripple = await startRipple(["seed", torrent.path, "-o", payload.dir, "--port", "0", "--no-trackers", "--host", "127.0.0.1"], "ripple seeder");
    const port = await ripple.port();
    await ripple.waitEvent((e) => e.event === "seeding", "seeding");
    const out = join(work.path, "leech");
    await using lt = await startLibtorrent({ mode: "leech", torrentPath: torrent.path, dataDir: out, ip: "127.0.0.1", port: await freePort(), encryption: "enabled", peers: [`127.0.0.1:${port}`], utpOnly: true });
    await lt.waitFor("exited", 60_000);
    expect(transports(ripple)).toContain("utp");
    expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
  }, 120_000);
});
