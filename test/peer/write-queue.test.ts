import { describe, expect, test } from "bun:test";
import { WriteQueue } from "../../src/peer/index.ts";

/** A sink that takes at most `budget` bytes until given more, recording what it took. */
function makeSink() {
  const taken: number[] = [];
  let budget = 0;
  return {
    taken,
    give(n: number) {
      budget += n;
    },
    sink: (data: Uint8Array, offset: number, length: number) => {
      const n = Math.min(budget, length);
      for (let i = 0; i < n; i++) taken.push(data[offset + i]!);
      budget -= n;
      return n;
    },
  };
}

describe("WriteQueue", () => {
  test("writes straight through while the socket takes everything", () => {
    const s = makeSink();
    s.give(100);
    const q = new WriteQueue(s.sink);
    q.push(new Uint8Array([1, 2, 3]));
    expect(q.queuedBytes).toBe(0);
    expect(s.taken).toEqual([1, 2, 3]);
  });

  test("a transient buffer the caller overwrites after a partial write still goes out as it was", () => {
    const s = makeSink();
    s.give(2);
    const q = new WriteQueue(s.sink);
    const batch = new Uint8Array([1, 2, 3, 4]);
    q.push(batch, true);
    batch.fill(9); // the uploader builds its next batch in the same buffer
    q.push(new Uint8Array([5]), true);
    s.give(10);
    q.flush();
    expect(s.taken).toEqual([1, 2, 3, 4, 5]);
  });

  test("the rest of a transient push waits in one reused buffer, not a new one per push", () => {
    const s = makeSink();
    const homes = new Set<ArrayBufferLike>();
    const sink = (data: Uint8Array, offset: number, length: number) => (homes.add(data.buffer), s.sink(data, offset, length));
    const spy = new WriteQueue(sink);
    const batch = new Uint8Array(8);
    for (let round = 0; round < 5; round++) {
      batch.fill(round);
      s.give(3); // the socket takes 3 of 8 bytes, then drains
      spy.push(batch, true);
      s.give(5);
      spy.flush();
    }
    expect(s.taken).toEqual([0, 1, 2, 3, 4].flatMap((r) => new Array(8).fill(r)));
    // The caller's batch and one spill buffer: nothing allocated per round.
    expect(homes.size).toBe(2);
  });

  test("queues the rest of a partial write and keeps order across drains", () => {
    const s = makeSink();
    s.give(2);
    const q = new WriteQueue(s.sink);
    q.push(new Uint8Array([1, 2, 3, 4]));
    q.push(new Uint8Array([5, 6]));
    expect(q.queuedBytes).toBe(4);
    s.give(3);
    q.flush();
    expect(q.queuedBytes).toBe(1);
    s.give(10);
    q.flush();
    expect(q.queuedBytes).toBe(0);
    expect(s.taken).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("does not write new data ahead of queued data", () => {
    const s = makeSink();
    const q = new WriteQueue(s.sink);
    q.push(new Uint8Array([1]));
    s.give(10);
    q.push(new Uint8Array([2]));
    expect(s.taken).toEqual([]);
    q.flush();
    expect(s.taken).toEqual([1, 2]);
  });
});
