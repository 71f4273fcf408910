// Node ids (BEP 5, BEP 42): shared prefix, XOR ordering, random ids inside a bucket, BEP 42's test vectors.

import { describe, expect, test } from "bun:test";
import {
  ExternalIpVotes,
  bep42NodeId,
  chooseNodeId,
  compareDistance,
  crc32c,
  isBep42Valid,
  randomIdInBucket,
  sharedPrefixBits,
  xorDistance,
} from "../../src/dht/index.ts";
import { fromHex, toHex, utf8 } from "../../src/util/index.ts";

const id = (hex: string) => fromHex(hex.padEnd(40, "0"))!;

describe("node ids", () => {
  test("shared prefix bits", () => {
    expect(sharedPrefixBits(id("00"), id("00"))).toBe(160);
    expect(sharedPrefixBits(id("80"), id("00"))).toBe(0);
    expect(sharedPrefixBits(id("01"), id("00"))).toBe(7);
    expect(sharedPrefixBits(id("0000f0"), id("000070"))).toBe(16);
    expect(sharedPrefixBits(id("00".repeat(19) + "01"), id("00"))).toBe(159);
  });

  test("XOR distance ordering", () => {
    const target = id("10");
    expect(compareDistance(target, id("11"), id("30"))).toBeLessThan(0);
    expect(compareDistance(target, id("30"), id("11"))).toBeGreaterThan(0);
    expect(compareDistance(target, id("11"), id("11"))).toBe(0);
    expect(toHex(xorDistance(id("f0"), id("0f")))).toBe("ff" + "00".repeat(19));
  });

  test("randomIdInBucket shares exactly the asked prefix with us", () => {
    const self = fromHex("5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401")!;
    for (const bits of [0, 1, 7, 8, 9, 31, 100, 159]) {
      for (const fill of [0x00, 0xff, 0x5a]) {
        expect(sharedPrefixBits(self, randomIdInBucket(self, bits, new Uint8Array(20).fill(fill)))).toBe(bits);
      }
    }
    expect(randomIdInBucket(self, 160, new Uint8Array(20))).toEqual(self);
  });

  test("crc32c check value", () => {
    expect(crc32c(utf8("123456789"))).toBe(0xe3069283);
  });

  // BEP 42's table: IP, rand, and the node id's first three bytes (21 bits significant) and last byte.
  const vectors: [string, number, string][] = [
    ["124.31.75.21", 1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"],
    ["21.75.31.124", 86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"],
    ["65.23.51.170", 22, "a5d43220bc8f112a3d426c84764f8c2a1150e616"],
    ["84.124.73.14", 65, "1b0321dd1bb1fe518101ceef99462b947a01ff41"],
    ["43.213.53.83", 90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"],
  ];
  for (const [ip, rand, expected] of vectors) {
    test(`BEP 42 vector ${ip}`, () => {
      const ipBytes = new Uint8Array(ip.split(".").map(Number));
      const random = fromHex(expected)!; // same filler bytes as the example
      random[19] = rand;
      const made = bep42NodeId(ipBytes, random);
      expect(toHex(made.subarray(0, 2))).toBe(expected.slice(0, 4));
      expect(made[2]! & 0xf8).toBe(fromHex(expected)![2]! & 0xf8);
      expect(made[19]).toBe(rand);
      expect(isBep42Valid(fromHex(expected)!, ipBytes)).toBe(true);
      expect(isBep42Valid(fromHex(expected)!, new Uint8Array([1, 2, 3, 4]))).toBe(false);
    });
  }

  test("local addresses are exempt from BEP 42", () => {
    expect(isBep42Valid(id("00"), new Uint8Array([127, 0, 0, 1]))).toBe(true);
    expect(isBep42Valid(id("00"), new Uint8Array([192, 168, 1, 9]))).toBe(true);
  });
});

describe("choosing our id at start", () => {
  const random = fromHex("0123456789abcdef0123456789abcdef01234567")!;
  const saved = fromHex("5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401")!; // BEP 42-valid for 124.31.75.21
  const ip = new Uint8Array([124, 31, 75, 21]);

  test("a fixed id wins; a saved id is kept while it suits our address", () => {
    expect(chooseNodeId(random, saved, ip, random)).toEqual(random);
    expect(chooseNodeId(undefined, saved, ip, random)).toEqual(saved);
    expect(chooseNodeId(undefined, saved, undefined, random)).toEqual(saved);
    expect(chooseNodeId(undefined, saved, new Uint8Array([127, 0, 0, 1]), random)).toEqual(saved);
  });

  test("a saved id that does not suit our public address is replaced by a BEP 42 one", () => {
    const other = new Uint8Array([21, 75, 31, 124]);
    const made = chooseNodeId(undefined, saved, other, random);
    expect(isBep42Valid(made, other)).toBe(true);
    expect(made).not.toEqual(saved);
  });

  test("with nothing saved: BEP 42 for a public address, else the random bytes", () => {
    expect(isBep42Valid(chooseNodeId(undefined, undefined, ip, random), ip)).toBe(true);
    expect(chooseNodeId(undefined, undefined, undefined, random)).toEqual(random);
  });
});

describe("external address votes (BEP 42 ip)", () => {
  test("believed once three reports agree; bounded tally", () => {
    const votes = new ExternalIpVotes(3, undefined);
    expect(votes.vote("1.2.3.4")).toBe(false);
    expect(votes.vote("5.6.7.8")).toBe(false);
    expect(votes.vote("1.2.3.4")).toBe(false);
    expect(votes.vote("1.2.3.4")).toBe(true);
    expect(votes.current).toBe("1.2.3.4");
    expect(votes.vote("1.2.3.4")).toBe(false); // no change
    for (let i = 0; i < 200; i++) votes.vote(`10.0.0.${i}`); // a spray of distinct answers changes nothing
    expect(votes.current).toBe("1.2.3.4");
  });
});
