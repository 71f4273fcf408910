import { describe, expect, test } from "bun:test";
import { ReadCache, TokenBucket } from "../../src/swarm/index.ts";

describe("TokenBucket", () => {
  test("starts full, refills at the rate, never above the burst", () => {
    const b = new TokenBucket(100_000, 0, 50_000);
    expect(b.tryTake(50_000, 0)).toBe(true);
    expect(b.tryTake(1, 0)).toBe(false);
    expect(b.waitMs(10_000, 0)).toBe(100);
    expect(b.tryTake(10_000, 100)).toBe(true);
    expect(b.available(10_000)).toBe(50_000);
  });

  test("over a long run it passes the configured rate", () => {
    const b = new TokenBucket(1_000_000, 0);
    let sent = 0;
    for (let now = 0; now <= 10_000; now += 7) while (b.tryTake(16_384, now)) sent += 16_384;
    // 10 s at 1 MB/s plus the initial burst (a quarter second).
    expect(sent).toBeGreaterThan(10_000_000);
    expect(sent).toBeLessThan(10_000_000 + 250_000 + 16_384);
  });

  test("take() may go into debt, and the wait accounts for it", () => {
    const b = new TokenBucket(10_000, 0, 16_384);
    b.take(32_768, 0);
    expect(b.available(0)).toBe(-16_384);
    expect(b.waitMs(16_384, 0)).toBe(3277);
  });

  test("a rate must be positive", () => {
    expect(() => new TokenBucket(0, 0)).toThrow(RangeError);
  });
});

describe("ReadCache", () => {
  test("reads an evicted piece's buffer again instead of allocating, and serves the new piece's bytes", () => {
    const buffers = new Set<ArrayBufferLike>();
    const cache = new ReadCache((i, into) => (buffers.add(into.buffer), into.fill(i)), 200, 100);
    for (let i = 0; i < 20; i++) expect(cache.block(i, 90, 10)).toEqual(new Uint8Array(10).fill(i));
    // Two pieces fit; every later miss reuses a buffer given back by an eviction.
    expect(buffers.size).toBeLessThanOrEqual(4);
  });

  test("reads a piece once for its consecutive blocks, evicts the least recently used", () => {
    const reads: number[] = [];
    const cache = new ReadCache((i) => {
      reads.push(i);
      return new Uint8Array(100).fill(i);
    }, 250, 100);
    expect(cache.block(1, 0, 10)).toEqual(new Uint8Array(10).fill(1));
    cache.block(1, 10, 10);
    cache.block(2, 0, 10);
    cache.block(1, 20, 10); // refreshes piece 1
    cache.block(3, 0, 10); // 300 bytes > 250: evicts piece 2
    cache.block(1, 30, 10);
    cache.block(2, 0, 10);
    expect(reads).toEqual([1, 2, 3, 2]);
    expect(cache.hits).toBe(3);
  });
});
