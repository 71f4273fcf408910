// Peer store (BEP 5 announce_peer): per-infoHash peers, caps on peers and hashes, 30-minute expiry.

import { describe, expect, test } from "bun:test";
import { PEER_TTL_MS, PeerStore } from "../../src/dht/index.ts";

const hash = (n: number) => new Uint8Array(20).fill(n);
const peer = (port: number) => ({ host: "127.0.0.1", port });

describe("peer store", () => {
  test("stores peers per infoHash, most recent first, without duplicates", () => {
    const s = new PeerStore();
    s.add(hash(1), peer(1), 0);
    s.add(hash(1), peer(2), 1);
    s.add(hash(2), peer(3), 2);
    s.add(hash(1), peer(1), 3); // re-announce moves it to the front
    expect(s.get(hash(1), 4)).toEqual([peer(1), peer(2)]);
    expect(s.get(hash(2), 4)).toEqual([peer(3)]);
    expect(s.get(hash(3), 4)).toEqual([]);
    expect(s.peerCount).toBe(3);
    expect(s.get(hash(1), 4, 1)).toEqual([peer(1)]);
  });

  test("caps peers per hash, dropping the oldest", () => {
    const s = new PeerStore({ maxPeersPerHash: 3 });
    for (let p = 1; p <= 5; p++) s.add(hash(1), peer(p), p);
    expect(s.get(hash(1), 6)).toEqual([peer(5), peer(4), peer(3)]);
    expect(s.peerCount).toBe(3);
  });

  test("caps infoHashes, dropping the least recently announced", () => {
    const s = new PeerStore({ maxInfoHashes: 2 });
    s.add(hash(1), peer(1), 0);
    s.add(hash(2), peer(2), 1);
    s.add(hash(1), peer(3), 2); // hash 1 is now the most recent
    s.add(hash(3), peer(4), 3);
    expect(s.infoHashCount).toBe(2);
    expect(s.get(hash(2), 4)).toEqual([]);
    expect(s.get(hash(1), 4).length).toBe(2);
    expect(s.peerCount).toBe(3);
  });

  test("peers expire 30 minutes after their last announce", () => {
    const s = new PeerStore();
    s.add(hash(1), peer(1), 0);
    s.add(hash(1), peer(2), 10 * 60_000);
    expect(s.get(hash(1), PEER_TTL_MS - 1)).toEqual([peer(2), peer(1)]);
    expect(s.get(hash(1), PEER_TTL_MS)).toEqual([peer(2)]);
    s.add(hash(2), peer(3), 0);
    s.expire(PEER_TTL_MS + 10 * 60_000);
    expect(s.infoHashCount).toBe(0);
    expect(s.peerCount).toBe(0);
  });

  test("a flood of announces stays within the caps", () => {
    const s = new PeerStore();
    for (let i = 0; i < 50_000; i++) s.add(hash(i % 251).map((b, j) => (j === 0 ? i >> 8 : b)), peer(1 + (i % 60000)), i);
    expect(s.infoHashCount).toBeLessThanOrEqual(2000);
    expect(s.peerCount).toBeLessThanOrEqual(2000 * 100);
  });
});
