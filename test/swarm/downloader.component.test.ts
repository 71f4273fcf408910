// The download side (swarm/downloader.ts) inside a Torrent, against scripted seeders over in-memory
// transports on a fake clock: what goes on the wire (pipelined requests, the short last block), where
// requests go when a peer chokes or holds only some pieces, and when a peer is dropped.

import { describe, expect, test } from "bun:test";
import { MIN_QUEUE_DEPTH } from "../../src/swarm/peer-state.ts";
import { LIMITS } from "../../src/util/index.ts";
import { settle } from "../helpers/fake-time.ts";
import { memoryTorrent } from "../helpers/memory-swarm.ts";
import type { ScriptedPeer } from "../helpers/scripted-peer.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const BLOCK = 16384;
const A = { host: "127.0.0.1", port: 6881 };
const B = { host: "127.0.0.1", port: 6882 };

/** Seven two-block pieces, the last one short (one block of 1000 bytes). */
const small = makeTorrentFixture({ name: "d.bin", pieceLength: 2 * BLOCK, data: patternBytes(6 * 2 * BLOCK + 1000, 5) });
/** Forty blocks: more than one pipeline's worth. */
const large = makeTorrentFixture({ name: "l.bin", pieceLength: 4 * BLOCK, data: patternBytes(40 * BLOCK, 6) });

const blocksAsked = (peer: ScriptedPeer) => peer.received("request").map((r) => `${r.index}/${r.begin}`);

describe("Downloader over memory transports", () => {
  test("requests are pipelined to a fixed depth while none is answered, and no further", async () => {
    const s = await memoryTorrent(large);
    s.seeder(A, { silent: true });
    s.torrent.addPeers([A]);
    const a = (await s.swarm.accepted.waitFor(1))[0]!.peer;
    await a.nextOf("request");
    await settle();
    // A new peer starts at twice the minimum depth (peer-state.ts), in one batch.
    expect(a.received("request")).toHaveLength(2 * MIN_QUEUE_DEPTH);
    expect(new Set(blocksAsked(a)).size).toBe(2 * MIN_QUEUE_DEPTH); // no block asked twice
    for (let i = 0; i < 10; i++) s.time.advance(1000); // ticks adapt the depth, but nothing came back
    await settle();
    expect(a.received("request")).toHaveLength(2 * MIN_QUEUE_DEPTH);
  });

  test("every block is asked once with its true length, the short last one too", async () => {
    const s = await memoryTorrent(small);
    s.seeder(A);
    s.torrent.addPeers([A]);
    await s.done;
    expect(s.complete()).toBe(true);
    const requests = s.swarm.peersAt(A)[0]!.received("request");
    expect(requests).toHaveLength(13);
    expect(requests.find((r) => r.index === 6)).toEqual({ type: "request", index: 6, begin: 0, length: 1000 });
  });

  test("a choke voids the requests to that peer: they are asked of the next one, and the choker stays connected", async () => {
    const s = await memoryTorrent(small);
    s.seeder(A, { chokeOnRequest: true });
    s.seeder(B);
    s.torrent.addPeers([A]);
    const a = (await s.swarm.accepted.waitFor(1))[0]!.peer;
    await a.nextOf("request");
    await settle();
    const voided = blocksAsked(a);
    expect(voided.length).toBeGreaterThan(0);
    expect(a.isClosed).toBe(false);
    s.torrent.addPeers([B]);
    await s.done;
    expect(s.complete()).toBe(true);
    const fromB = new Set(blocksAsked(s.swarm.peersAt(B)[0]!));
    for (const block of voided) expect(fromB.has(block)).toBe(true);
    expect(a.received("cancel")).toEqual([]); // BEP 3: a choke already dropped them, nothing to cancel
  });

  test("each piece is asked only of a peer that has it, and two partial seeders complete the torrent", async () => {
    const s = await memoryTorrent(small);
    s.seeder(A, { have: [0, 1, 2, 3] });
    s.seeder(B, { have: [3, 4, 5, 6] });
    s.torrent.addPeers([A, B]);
    await s.done;
    expect(s.complete()).toBe(true);
    const piecesAsked = (address: typeof A) => new Set(s.swarm.peersAt(address)[0]!.received("request").map((r) => r.index));
    for (const i of piecesAsked(A)) expect([0, 1, 2, 3]).toContain(i);
    for (const i of piecesAsked(B)) expect([3, 4, 5, 6]).toContain(i);
    expect([...piecesAsked(A)]).toEqual(expect.arrayContaining([0, 1, 2]));
    expect([...piecesAsked(B)]).toEqual(expect.arrayContaining([4, 5, 6]));
  });

  test("haves go to a peer that lacks the piece or shows only some pieces (a super-seeder's cue), none to one that showed all", async () => {
    const s = await memoryTorrent(small);
    s.seeder(A, { have: [0, 1, 2, 3] });
    s.seeder(B);
    s.torrent.addPeers([A, B]);
    await s.done;
    await settle();
    const haves = (address: typeof A) => s.swarm.peersAt(address)[0]!.received("have").map((m) => m.index).sort((x, y) => x - y);
    expect(haves(A)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(haves(B)).toEqual([]);
  });

  test("a peer flooding blocks nobody asked for is dropped past the limit; a few strays are forgiven", async () => {
    const s = await memoryTorrent(small);
    s.seeder(A, { unrequestedBlocks: LIMITS.unrequestedBlocksPerPeer + 1 });
    s.seeder(B, { unrequestedBlocks: 3 });
    s.torrent.addPeers([A]);
    const dropped = await s.swarm.accepted.waitFor(1).then(([a]) => a!.peer.closed);
    expect(dropped).toBe("closed by peer");
    expect(s.peerEvents.items.find((e) => e.event === "disconnected")?.reason).toStartWith("too many unrequested blocks");
    s.torrent.addPeers([B]);
    await s.done;
    expect(s.complete()).toBe(true);
  });
});
