// A Torrent against scripted peers over in-memory transports, on a fake clock: no sockets, no disk, no
// real timers. What the user sees: the bytes in storage, the peer events, and who gets asked for what.

import { describe, expect, test } from "bun:test";
import type { TorrentEvents } from "../../src/swarm/index.ts";
import { SNUB_TIMEOUT_MS } from "../../src/swarm/peer-state.ts";
import { settle } from "../helpers/fake-time.ts";
import { memoryTorrent } from "../helpers/memory-swarm.ts";
import { makeTorrentFixture, patternBytes, type TorrentFixture } from "../helpers/torrent-fixture.ts";

const BLOCK = 16384;
const SEEDER_A = { host: "127.0.0.1", port: 6881 };
const SEEDER_B = { host: "127.0.0.1", port: 6882 };

/** Six two-block pieces and a short last one. */
function fixture(): TorrentFixture {
  return makeTorrentFixture({ name: "c.bin", pieceLength: 2 * BLOCK, data: patternBytes(6 * 2 * BLOCK + 1000, 7) });
}

describe("Torrent over memory transports", () => {
  test("a scripted seeder serves every piece: storage holds the source bytes", async () => {
    const fx = fixture();
    const s = await memoryTorrent(fx);
    s.seeder(SEEDER_A);
    s.torrent.addPeers([SEEDER_A]);
    await s.done;
    expect(s.complete()).toBe(true);
    expect(new Set(s.storage.writes).size).toBe(fx.meta.pieceCount);
    expect(s.swarm.net.dials).toEqual(["127.0.0.1:6881"]);
  });

  test("a seeder of corrupt pieces is banned and its pieces are fetched again from another", async () => {
    const fx = fixture();
    const s = await memoryTorrent(fx);
    s.seeder(SEEDER_A, { corrupt: true });
    s.seeder(SEEDER_B);
    const warnings: string[] = [];
    s.torrent.on("warning", (w) => w.message.includes("failed its hash check") && warnings.push(w.message));
    s.torrent.addPeers([SEEDER_A]);
    // Only A is known until it is banned, so every failed piece is its doing.
    // The ban comes with the second bad piece (the first may have been garbled on the way).
    const banned = new Promise<{ event: TorrentEvents["peer"]; failures: number }>((resolve) =>
      s.torrent.on("peer", (e) => e.event === "banned" && resolve({ event: e, failures: warnings.length })),
    );
    const { event, failures } = await banned;
    expect(event.address).toBe("127.0.0.1:6881");
    expect(failures).toBe(2);
    expect(await s.swarm.peersAt(SEEDER_A)[0]!.closed).toBeString();
    expect(s.storage.writes).toEqual([]);
    s.torrent.addPeers([SEEDER_B, SEEDER_A]);
    await s.done;
    expect(s.complete()).toBe(true);
    // Served by B alone, and A was never dialed again.
    expect(new Set(s.swarm.peersAt(SEEDER_B)[0]!.received("request").map((r) => r.index)).size).toBe(fx.meta.pieceCount);
    expect(s.swarm.net.dials.filter((d) => d === "127.0.0.1:6881")).toHaveLength(1);
  });

  test("a snubbing peer's requests are cancelled after the snub timeout on the fake clock and go to another", async () => {
    const fx = fixture();
    const s = await memoryTorrent(fx);
    s.seeder(SEEDER_A, { silent: true });
    s.seeder(SEEDER_B);
    s.torrent.addPeers([SEEDER_A]);
    const a = (await s.swarm.accepted.waitFor(1))[0]!.peer;
    await a.nextOf("request");
    s.time.advance(SNUB_TIMEOUT_MS);
    await settle();
    expect(a.received("cancel")).toEqual([]);
    const asked = a.received("request").map((r) => `${r.index}/${r.begin}`);
    s.time.advance(1000); // the first tick past the timeout
    await settle();
    expect(a.received("cancel").map((c) => `${c.index}/${c.begin}`).sort()).toEqual([...asked].sort());
    expect(a.isClosed).toBe(false); // snubbed, not dropped: it may recover
    s.torrent.addPeers([SEEDER_B]);
    await s.done;
    expect(s.complete()).toBe(true);
    const fromB = new Set(s.swarm.peersAt(SEEDER_B)[0]!.received("request").map((r) => `${r.index}/${r.begin}`));
    for (const block of asked) expect(fromB.has(block)).toBe(true);
  });
});
