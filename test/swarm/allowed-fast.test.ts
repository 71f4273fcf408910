// BEP 6 allowed fast sets we give (src/swarm/allowed-fast.ts): the BEP's own test vectors, the size for
// small torrents, and addresses as the algorithm takes them.

import { describe, expect, test } from "bun:test";
import { addressBytes, allowedFastCount, allowedFastSet } from "../../src/swarm/allowed-fast.ts";

const infoHash = new Uint8Array(20).fill(0xaa);
const ip = new Uint8Array([80, 4, 4, 200]);

describe("allowedFastSet", () => {
  test("BEP 6 vectors: 1313 pieces, info hash aa..aa, peer 80.4.4.200", () => {
    expect(allowedFastSet(7, 1313, infoHash, ip)).toEqual([1059, 431, 808, 1217, 287, 376, 1188]);
    expect(allowedFastSet(9, 1313, infoHash, ip)).toEqual([1059, 431, 808, 1217, 287, 376, 1188, 353, 508]);
  });

  test("the last octet does not matter (one set per /24)", () => {
    expect(allowedFastSet(9, 1313, infoHash, new Uint8Array([80, 4, 4, 1]))).toEqual(allowedFastSet(9, 1313, infoHash, ip));
  });

  test("k = 10, at most half of a small torrent, and never more than it has", () => {
    expect(allowedFastCount(1313)).toBe(10);
    expect(allowedFastCount(4)).toBe(2);
    expect(allowedFastCount(1)).toBe(0);
    const set = allowedFastSet(50, 5, infoHash, ip);
    expect([...set].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  test("addresses: IPv4, IPv4-mapped IPv6 as IPv4, IPv6 by its /64, host names not at all", () => {
    expect(addressBytes("80.4.4.200")).toEqual(ip);
    expect(addressBytes("::ffff:80.4.4.200")).toEqual(ip);
    expect(addressBytes("::1")?.length).toBe(16);
    expect(addressBytes("peer.example")).toBeUndefined();
    const a = allowedFastSet(10, 1313, infoHash, addressBytes("2001:db8:1:2::5")!);
    expect(allowedFastSet(10, 1313, infoHash, addressBytes("2001:db8:1:2:ffff::9")!)).toEqual(a);
  });
});
