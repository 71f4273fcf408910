// For each misbehaviour of a scripted hostile peer, a Client still downloads byte-identical (with an honest
// seeder), the peer gets the reaction documented in src ("drop:", "ban:", "ignore:"), and RSS growth stays
// bounded. Shell: real sockets on 127.0.0.1; events awaited, never sleeps.

import { describe, expect, test } from "bun:test";
import type { ClientOptions, Torrent } from "../../src/index.ts";
import { startFakeSeeder, type FakeTorrent } from "../helpers/fake-peer.ts";
import { dialMaliciousPeer, startMaliciousPeer, type MaliciousPeer, type Misbehaviour } from "../helpers/malicious-peer.ts";
import { tempDir } from "../helpers/process.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";
import { expectFixtureOnDisk } from "../helpers/files.ts";
import { finished, useClients } from "../helpers/torrents.ts";

const BLOCK = 16384;
/** Six pieces of two blocks, the last one short: a piece count that leaves spare bits in a bitfield. */
const fixture = makeTorrentFixture({ name: "hostile.bin", pieceLength: 2 * BLOCK, data: patternBytes(5 * 2 * BLOCK + 1000, 77) });
const torrentData: FakeTorrent = { infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data };
const MiB = 1024 * 1024;
/**
 * Bound on the RSS growth during one test (peak, sampled every 5 ms). The torrent is 160 KiB and the
 * client keeps at most a few MiB per peer; cases stay under 20 MiB. The reject flood is the exception:
 * the client decodes ~400k requests and encodes as many rejects before the cap drops the peer, which
 * peaks at 80-100 MiB of short-lived garbage (the heap is ~4 MiB after a GC), hence its own bound. How
 * high that peak goes depends on when the collector gets to run: on a loaded 2-core box it reached
 * 224-235 MiB (twice in full CI-style runs). The bound is there to catch rejects piling up without
 * limit, which grows with the flood's length, not to measure the garbage: 384 MiB leaves room for a late
 * collector. (The cap itself is asserted by the reason the peer is dropped for.)
 */
const MAX_RSS_GROWTH_BYTES = 64 * MiB;
const FLOOD_RSS_GROWTH_BYTES = 384 * MiB;

const { client, defer } = useClients();
const at = (port: number) => ({ host: "127.0.0.1", port });

type PeerEvent = { event: "connected" | "disconnected" | "banned"; address: string; reason?: string };

/** The first `kinds` event the torrent reports for the peer at 127.0.0.1:port. */
function reactionTo(torrent: Torrent, port: number, kinds: readonly PeerEvent["event"][] = ["disconnected", "banned"]): Promise<PeerEvent> {
  return new Promise((resolve) => torrent.on("peer", (p) => p.address === `127.0.0.1:${port}` && kinds.includes(p.event) && resolve(p)));
}

/** Samples the RSS while the test runs (every 5 ms and on demand); `check` asserts the growth bound. */
function watchRss(maxGrowthBytes = MAX_RSS_GROWTH_BYTES) {
  const start = process.memoryUsage().rss;
  let max = start;
  const sample = () => void (max = Math.max(max, process.memoryUsage().rss));
  const timer = setInterval(sample, 5);
  defer(() => clearInterval(timer));
  return {
    check() {
      sample();
      clearInterval(timer);
      expect(max - start).toBeLessThan(maxGrowthBytes);
    },
  };
}

function honestSeeder(): number {
  const seeder = startFakeSeeder(torrentData, { peerId: new TextEncoder().encode("-FK0001-honest000001") });
  defer(() => seeder.stop());
  return seeder.port;
}

function hostile(behaviour: Misbehaviour): MaliciousPeer {
  const peer = startMaliciousPeer(torrentData, behaviour);
  defer(() => peer.stop());
  return peer;
}

async function expectComplete(torrent: Torrent, outDir: string): Promise<void> {
  await finished(torrent);
  await expectFixtureOnDisk(fixture, outDir);
}

interface Case {
  behaviour: Misbehaviour;
  reaction: "disconnected" | "banned";
  reason: RegExp;
  /** Honest seeder from the start (the misdeed needs pieces in the client); else added after the reaction. */
  honestFirst?: boolean;
  client?: ClientOptions;
  rssGrowthBytes?: number;
}

/** The hostile peer is dialed first (alone, unless honestFirst); the honest seeder finishes the job. */
async function survive(c: Case): Promise<{ bad: MaliciousPeer; reaction: PeerEvent }> {
  await using out = await tempDir();
  const rss = watchRss(c.rssGrowthBytes);
  const bad = hostile(c.behaviour);
  const torrent = client(c.client).addTorrent(fixture.meta, { outDir: out.path, peers: [at(bad.port)], noTrackers: true });
  const reacted = reactionTo(torrent, bad.port, [c.reaction]);
  if (c.honestFirst) torrent.addPeers([at(honestSeeder())]);
  await bad.acted;
  const reaction = await reacted;
  expect(reaction.reason).toMatch(c.reason);
  if (!c.honestFirst) torrent.addPeers([at(honestSeeder())]);
  await expectComplete(torrent, out.path);
  expect(bad.errors).toEqual([]); // the client never broke the protocol towards it
  rss.check();
  return { bad, reaction };
}

describe("a Client survives hostile peers", () => {
  test("answers with the wrong infoHash: dropped before the handshake completes", async () => {
    await survive({ behaviour: "wrong-info-hash", reaction: "disconnected", reason: /answered with another info hash/ });
  });

  test("sends a length prefix of 2^31: dropped, nothing allocated for it", async () => {
    await survive({ behaviour: "huge-length-prefix", reaction: "disconnected", reason: /message too long: 2147483648 >/ });
  });

  test("sends unknown message ids: ignored, and its blocks are still used", async () => {
    await using out = await tempDir();
    const rss = watchRss();
    const bad = hostile("unknown-message-ids");
    const torrent = client().addTorrent(fixture.meta, { outDir: out.path, peers: [at(bad.port)], noTrackers: true });
    const reasons: string[] = [];
    torrent.on("peer", (p) => p.address === `127.0.0.1:${bad.port}` && p.event !== "connected" && reasons.push(p.reason ?? p.event));
    await bad.acted;
    // The hostile peer is the only one until a piece arrives: it delivered blocks after its odd messages.
    await torrent.once("piece");
    torrent.addPeers([at(honestSeeder())]);
    await expectComplete(torrent, out.path);
    expect(bad.stats.blocksServed).toBeGreaterThan(0);
    expect(reasons.filter((r) => r !== "both complete")).toEqual([]);
    rss.check();
  });

  test("sends a bitfield of the wrong length: dropped", async () => {
    await survive({ behaviour: "bitfield-wrong-length", reaction: "disconnected", reason: /bitfield has wrong length: 2 bytes for 6 pieces/ });
  });

  test("sends a bitfield with spare bits set: dropped", async () => {
    await survive({ behaviour: "bitfield-spare-bits", reaction: "disconnected", reason: /bitfield has spare bits set/ });
  });

  test("sends have for an out-of-range piece: dropped", async () => {
    await survive({ behaviour: "have-out-of-range", reaction: "disconnected", reason: /have for piece 6 out of range \(6 pieces\)/ });
  });

  test("sends blocks nobody asked for: dropped past the stray-block allowance", async () => {
    await survive({ behaviour: "unrequested-blocks", reaction: "disconnected", reason: /too many unrequested blocks/ });
  });

  test("sends blocks of the wrong size: dropped", async () => {
    const { bad } = await survive({ behaviour: "wrong-size-blocks", reaction: "disconnected", reason: /block \d+:\d+ has wrong length: \d+ != \d+/ });
    expect(bad.stats.tampered).toBeGreaterThan(0);
  });

  test("sends corrupt blocks: banned, never dialed again", async () => {
    const { bad } = await survive({ behaviour: "corrupt-blocks", reaction: "banned", reason: /corrupt data/ });
    expect(bad.stats.connections).toBe(1);
  });

  test("never finishes its handshake (slowloris): dropped at the handshake deadline", async () => {
    // A real-time deadline that the honest seeder added afterwards must also meet: a second, not less, on
    // a loaded machine (a missed one is redialed only 15 s later).
    await survive({ behaviour: "slowloris", reaction: "disconnected", reason: /handshake not completed within 1000 ms/, client: { handshakeTimeoutMs: 1000 } });
  });

  test("floods requests it does not read the answers to: dropped at the queued-request cap", async () => {
    const { bad } = await survive({ behaviour: "request-flood", reaction: "disconnected", reason: /request flood: more than 2000 requests queued/, honestFirst: true });
    expect(bad.stats.connections).toBe(1);
  });

  test("floods requests the client must reject, never reading the rejects: dropped at the unread-bytes cap", async () => {
    const reason = /request flood: \d+ bytes of replies left unread/;
    await survive({ behaviour: "reject-flood", reaction: "disconnected", reason, rssGrowthBytes: FLOOD_RSS_GROWTH_BYTES });
  });

  test("keeps choking and unchoking: dropped as a choke flood", async () => {
    await survive({ behaviour: "choke-flapping", reaction: "disconnected", reason: /choke flood/ });
  });

  test("disconnects mid-block: its requests go to the honest seeder", async () => {
    await survive({ behaviour: "disconnect-mid-block", reaction: "disconnected", reason: /closed by peer/ });
  });
});

describe("a Client survives hostile peers that dial it", () => {
  test("a slowloris dialing in is hung up on at the handshake deadline", async () => {
    await using out = await tempDir();
    const rss = watchRss();
    const c = client({ handshakeTimeoutMs: 1000 }); // real time; the honest seeder must meet it too
    const torrent = c.addTorrent(fixture.meta, { outDir: out.path, noTrackers: true });
    await torrent.once("ready");
    const bad = await dialMaliciousPeer(torrentData, c.port, "slowloris");
    defer(() => bad.stop());
    await bad.closed; // the client closed the half-open connection (no torrent knows it yet: no event)
    torrent.addPeers([at(honestSeeder())]);
    await expectComplete(torrent, out.path);
    rss.check();
  });

  test("a peer dialing in with a length prefix of 2^31 is dropped", async () => {
    await using out = await tempDir();
    const rss = watchRss();
    const c = client();
    const torrent = c.addTorrent(fixture.meta, { outDir: out.path, noTrackers: true });
    await torrent.once("ready");
    const bad = await dialMaliciousPeer(torrentData, c.port, "huge-length-prefix");
    defer(() => bad.stop());
    const reaction = await reactionTo(torrent, bad.port);
    expect(reaction.reason).toMatch(/message too long: 2147483648 >/);
    torrent.addPeers([at(honestSeeder())]);
    await expectComplete(torrent, out.path);
    rss.check();
  });
});
