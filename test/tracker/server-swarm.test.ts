// Tests for the tracker server's swarm store: numwant, self exclusion, counts, expiry on a fake clock,
// caps and the allow-list. Pure; no sockets.

import { describe, expect, test } from "bun:test";
import { xorshift32 } from "../helpers/random.ts";
import { toHex } from "../../src/util/index.ts";
import {
  MAX_NUMWANT,
  NOT_ALLOWED_REASON,
  TOO_MANY_PEERS_REASON,
  TOO_MANY_TORRENTS_REASON,
  TrackerSwarm,
  parseIpAddress,
  type SwarmAnnounce,
  type SwarmAnnounceResult,
  type TrackerSwarmOptions,
} from "../../src/tracker/index.ts";

const hashA = new Uint8Array(20).fill(0xaa);
const hashB = new Uint8Array(20).fill(0xbb);
const INTERVAL_SEC = 100;
/** 2 x interval + default grace (60 s). */
const EXPIRE_MS = (2 * INTERVAL_SEC + 60) * 1000;

/** Reproducible peer picks: xorshift32's states as floats in [0, 1). */
function seeded(seed = 7): () => number {
  const next = xorshift32(seed);
  return () => next() / 2 ** 32;
}

function swarm(options: Partial<TrackerSwarmOptions> = {}): TrackerSwarm {
  return new TrackerSwarm({ intervalSec: INTERVAL_SEC, random: seeded(), ...options });
}

/** Peer n: id "peer-n" padded, address 127.0.0.1:(10000 + n). */
function peer(n: number, fields: Partial<SwarmAnnounce> = {}): SwarmAnnounce {
  const peerId = new Uint8Array(20);
  peerId.set(new TextEncoder().encode(`peer-${n}`));
  return { infoHash: hashA, peerId, ip: parseIpAddress("127.0.0.1")!, port: 10_000 + n, left: 100, numWant: 50, ...fields };
}

function ok(result: SwarmAnnounceResult) {
  if ("failure" in result) throw new Error(`unexpected failure: ${result.failure}`);
  return result;
}
const ports = (result: SwarmAnnounceResult) => ok(result).peers.map((p) => p.port).sort((a, b) => a - b);

describe("TrackerSwarm announce", () => {
  test("lists the other peers, never the announcer itself", () => {
    const s = swarm();
    expect(ports(s.announce(peer(1), 0))).toEqual([]);
    expect(ports(s.announce(peer(2), 0))).toEqual([10_001]);
    expect(ports(s.announce(peer(3), 0))).toEqual([10_001, 10_002]);
    expect(ports(s.announce(peer(1), 1))).toEqual([10_002, 10_003]);
  });

  test("the same address under a new peer id is still the announcer (a restarted client)", () => {
    const s = swarm();
    s.announce(peer(1), 0);
    const restarted = peer(1, { peerId: new Uint8Array(20).fill(0x31) });
    expect(ports(s.announce(restarted, 1))).toEqual([]);
  });

  test("numwant bounds the reply, picks at random, and is capped at MAX_NUMWANT", () => {
    const s = swarm({ maxPeersPerTorrent: 500 });
    for (let n = 1; n <= 300; n++) s.announce(peer(n), 0);
    const three = ok(s.announce(peer(1, { numWant: 3 }), 1)).peers;
    expect(three).toHaveLength(3);
    expect(new Set(three.map((p) => p.port)).size).toBe(3);
    expect(ok(s.announce(peer(1, { numWant: 0 }), 1)).peers).toEqual([]);
    expect(ok(s.announce(peer(1, { numWant: 10_000 }), 1)).peers).toHaveLength(MAX_NUMWANT);
    // Random: two picks of 3 from 299 differ (with this seed; a fixed order would always repeat).
    const again = ok(s.announce(peer(1, { numWant: 3 }), 1)).peers;
    expect(again.map((p) => p.port)).not.toEqual(three.map((p) => p.port));
  });

  test("seeders get only leechers", () => {
    const s = swarm();
    s.announce(peer(1, { left: 0 }), 0);
    s.announce(peer(2, { left: 5 }), 0);
    expect(ports(s.announce(peer(3, { left: 0 }), 0))).toEqual([10_002]);
    expect(ports(s.announce(peer(4, { left: 9 }), 0))).toEqual([10_001, 10_002, 10_003]);
  });

  test("counts seeders and leechers, and moves a peer when it finishes", () => {
    const s = swarm();
    s.announce(peer(1, { left: 0 }), 0);
    s.announce(peer(2), 0);
    const r = ok(s.announce(peer(3, { left: undefined }), 0)); // no `left` = leecher
    expect([r.complete, r.incomplete]).toEqual([1, 2]);
    const done = ok(s.announce(peer(2, { left: 0, event: "completed" }), 1));
    expect([done.complete, done.incomplete, done.downloaded]).toEqual([2, 1, 1]);
  });

  test("completed counts once per peer", () => {
    const s = swarm();
    s.announce(peer(1), 0);
    s.announce(peer(1, { left: 0, event: "completed" }), 1);
    s.announce(peer(1, { left: 0, event: "completed" }), 2);
    s.announce(peer(2, { left: 0, event: "completed" }), 3); // first seen as complete: still a download
    expect(s.scrape(hashA, 4)).toEqual({ complete: 2, incomplete: 0, downloaded: 2 });
  });

  test("stopped removes the peer and returns no peers", () => {
    const s = swarm();
    s.announce(peer(1), 0);
    s.announce(peer(2, { left: 0 }), 0);
    const r = ok(s.announce(peer(2, { event: "stopped" }), 1));
    expect(r.peers).toEqual([]);
    expect([r.complete, r.incomplete]).toEqual([0, 1]);
    expect(ports(s.announce(peer(3), 2))).toEqual([10_001]);
    // Stopping an unknown peer or torrent changes nothing.
    expect(ok(s.announce(peer(9, { infoHash: hashB, event: "stopped" }), 3)).peers).toEqual([]);
    expect(s.stats()).toEqual({ torrents: 1, peers: 2, seeders: 0, leechers: 2 });
  });

  test("torrents are kept apart", () => {
    const s = swarm();
    s.announce(peer(1), 0);
    expect(ports(s.announce(peer(2, { infoHash: hashB }), 0))).toEqual([]);
    expect(s.scrape(hashB, 0)).toEqual({ complete: 0, incomplete: 1, downloaded: 0 });
  });

  test("IPv6 peers are stored with 16-byte addresses", () => {
    const s = swarm();
    s.announce(peer(1, { ip: parseIpAddress("::1")! }), 0);
    const [p] = ok(s.announce(peer(2), 0)).peers;
    expect(p?.ip).toEqual({ text: "::1", bytes: new Uint8Array([...Array(15).fill(0), 1]) });
  });
});

describe("TrackerSwarm expiry (fake now)", () => {
  test("a peer that misses two intervals plus grace is dropped", () => {
    const s = swarm();
    s.announce(peer(1), 0);
    s.announce(peer(2), 60_000);
    expect(ports(s.announce(peer(3), EXPIRE_MS))).toEqual([10_001, 10_002]); // exactly at the limit: kept
    expect(ports(s.announce(peer(3), EXPIRE_MS + 1))).toEqual([10_002]);
    expect(s.scrape(hashA, EXPIRE_MS + 60_001)).toEqual({ complete: 0, incomplete: 1, downloaded: 0 });
  });

  test("re-announcing keeps a peer alive", () => {
    const s = swarm();
    s.announce(peer(1), 0);
    s.announce(peer(1), EXPIRE_MS);
    expect(ports(s.announce(peer(2), 2 * EXPIRE_MS))).toEqual([10_001]);
  });

  test("sweep drops expired peers and idle empty torrents with their counts", () => {
    const s = swarm();
    s.announce(peer(1, { left: 0, event: "completed" }), 0);
    s.announce(peer(2, { infoHash: hashB }), 0);
    s.announce(peer(3, { infoHash: hashB }), EXPIRE_MS);
    expect(s.sweep(EXPIRE_MS + 1)).toBe(2);
    expect(s.stats()).toEqual({ torrents: 1, peers: 1, seeders: 0, leechers: 1 });
    expect(s.scrape(hashA, EXPIRE_MS + 1)).toEqual({ complete: 0, incomplete: 0, downloaded: 0 });
  });

  test("a stopped swarm keeps its downloaded count until it idles out", () => {
    const s = swarm();
    s.announce(peer(1, { left: 0, event: "completed" }), 0);
    s.announce(peer(1, { event: "stopped" }), 1000);
    expect(s.scrape(hashA, 2000)).toEqual({ complete: 0, incomplete: 0, downloaded: 1 });
    s.sweep(1000 + EXPIRE_MS + 1);
    expect(s.stats().torrents).toBe(0);
  });
});

describe("TrackerSwarm caps and allow-list", () => {
  test("a full torrent refuses new peers but keeps serving known ones", () => {
    const s = swarm({ maxPeersPerTorrent: 2 });
    s.announce(peer(1), 0);
    s.announce(peer(2), 0);
    expect(s.announce(peer(3), 0)).toEqual({ failure: TOO_MANY_PEERS_REASON });
    expect(ports(s.announce(peer(1), 1))).toEqual([10_002]);
    s.announce(peer(2, { event: "stopped" }), 2);
    expect(ports(s.announce(peer(3), 3))).toEqual([10_001]);
  });

  test("a full store refuses new torrents until old ones expire", () => {
    const s = swarm({ maxTorrents: 1 });
    s.announce(peer(1), 0);
    expect(s.announce(peer(2, { infoHash: hashB }), 1000)).toEqual({ failure: TOO_MANY_TORRENTS_REASON });
    expect(s.stats().torrents).toBe(1);
    expect(ports(s.announce(peer(2, { infoHash: hashB }), EXPIRE_MS + 1))).toEqual([]);
    expect(s.stats()).toEqual({ torrents: 1, peers: 1, seeders: 0, leechers: 1 });
  });

  test("with an allow-list, other hashes fail and do not appear in scrapes", () => {
    const s = swarm({ allow: [toHex(hashA).toUpperCase()] });
    expect(ok(s.announce(peer(1), 0)).incomplete).toBe(1);
    expect(s.announce(peer(1, { infoHash: hashB }), 0)).toEqual({ failure: NOT_ALLOWED_REASON });
    expect(s.isAllowed(hashA)).toBe(true);
    expect(s.isAllowed(hashB)).toBe(false);
    expect(s.scrape(hashB, 0)).toBeUndefined();
    expect(s.stats().torrents).toBe(1);
  });
});

describe("parseIpAddress", () => {
  test.each([
    ["127.0.0.1", "127.0.0.1", 4],
    ["::1", "::1", 16],
    ["[2001:DB8::1]", "2001:db8::1", 16],
    ["::ffff:10.0.0.1", "10.0.0.1", 4],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", 16],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221", 16],
  ])("%s -> %s", (input, text, length) => {
    const ip = parseIpAddress(input);
    expect(ip?.text).toBe(text);
    expect(ip?.bytes.length).toBe(length);
  });

  test.each(["256.0.0.1", "1.2.3", "localhost", "1::2::3", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "", "::1.2.3.4:5"])("refuses %p", (input) => {
    expect(parseIpAddress(input)).toBeUndefined();
  });
});
