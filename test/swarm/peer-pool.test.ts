import { describe, expect, test } from "bun:test";
import { PeerPool } from "../../src/swarm/index.ts";

const a = { host: "127.0.0.1", port: 1001 };
const b = { host: "127.0.0.1", port: 1002 };

describe("PeerPool", () => {
  test("a failing address backs off exponentially, capped at 5 minutes, and is never given up", () => {
    const pool = new PeerPool();
    pool.add([a]);
    let now = 0;
    const gaps: number[] = [];
    for (let i = 0; i < 10; i++) {
      expect(pool.candidates(5, now)).toEqual([a]);
      pool.markConnecting("127.0.0.1:1001");
      pool.markClosed("127.0.0.1:1001", true, now);
      let next = now;
      while (pool.candidates(5, next).length === 0) next += 1000;
      gaps.push(next - now);
      now = next;
    }
    expect(gaps.slice(0, 5)).toEqual([15_000, 30_000, 60_000, 120_000, 240_000]);
    expect(gaps.slice(5).every((g) => g === 300_000)).toBe(true);
    // Five failures in a row: no longer a usable source for the "ask the tracker early" rule.
    expect(pool.hasUsable()).toBe(false);
  });

  test("an address handed over again may be dialed at once", () => {
    const pool = new PeerPool();
    pool.add([a, b]);
    pool.markConnecting("127.0.0.1:1001");
    pool.markClosed("127.0.0.1:1001", true, 0);
    expect(pool.candidates(5, 1)).toEqual([b]);
    expect(pool.add([a])).toBe(0);
    expect(pool.candidates(5, 1)).toEqual([a, b]);
  });

  test("forgotten and banned addresses are never dialed", () => {
    const pool = new PeerPool();
    pool.add([a, b]);
    pool.forget("127.0.0.1:1001");
    pool.ban("127.0.0.1:1002");
    pool.add([a, b]);
    expect(pool.candidates(5, 10 ** 9)).toEqual([]);
  });
});
