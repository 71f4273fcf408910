import { describe, expect, test } from "bun:test";
import { Bitfield } from "../../src/wire/index.ts";
import { BLOCK_SIZE } from "../../src/metainfo/index.ts";
import { Picker, blockKey } from "../../src/swarm/index.ts";

/** Bitfield from a string: "*" = has the piece, anything else = lacks it. */
function bits(s: string): Bitfield {
  const bf = new Bitfield(s.length);
  [...s].forEach((c, i) => c === "*" && bf.set(i));
  return bf;
}

/** A picker over `availability` digits (one per piece), all pieces one block long unless given. */
function makePicker(availability: string, opts: { have?: string; pieceLength?: number; maxInProgress?: number; random?: () => number } = {}) {
  const n = availability.length;
  const picker = new Picker(
    {
      pieceCount: n,
      pieceLengthAt: () => opts.pieceLength ?? BLOCK_SIZE,
      maxInProgress: opts.maxInProgress ?? 100,
      random: opts.random ?? (() => 0.5),
    },
    opts.have ? bits(opts.have) : undefined,
  );
  [...availability].forEach((c, i) => {
    for (let k = 0; k < Number(c); k++) picker.addHave(i);
  });
  return picker;
}

const none = () => false;

describe("Picker", () => {
  test("picks the rarest piece the peer has", () => {
    const p = makePicker("3331333");
    const [req] = p.pick(bits("*******"), 1, 0, none);
    expect(req!.index).toBe(3);
  });

  test("skips pieces we have and pieces the peer lacks", () => {
    const p = makePicker("1122333", { have: "*      " });
    const picked = p.pick(bits("  *****"), 3, 0, none).map((r) => r.index);
    expect(picked).toEqual([2, 3, 4]);
  });

  test("breaks ties at random", () => {
    const seen = new Set<number>();
    for (let trial = 0; trial < 40; trial++) {
      const p = makePicker("2222", { random: Math.random });
      seen.add(p.pick(bits("****"), 1, 0, none)[0]!.index);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  test("finishes a started piece before starting another", () => {
    const p = makePicker("12", { pieceLength: 4 * BLOCK_SIZE });
    const first = p.pick(bits("**"), 2, 0, none);
    expect(first.map((r) => [r.index, r.begin])).toEqual([[0, 0], [0, BLOCK_SIZE]]);
    const next = p.pick(bits("**"), 2, 0, none);
    expect(next.map((r) => [r.index, r.begin])).toEqual([[0, 2 * BLOCK_SIZE], [0, 3 * BLOCK_SIZE]]);
  });

  test("the short last block of a short last piece has the right length", () => {
    const picker = new Picker({ pieceCount: 2, pieceLengthAt: (i) => (i === 0 ? 2 * BLOCK_SIZE : BLOCK_SIZE + 5), maxInProgress: 10 });
    picker.addHave(1);
    picker.addHave(0);
    picker.addHave(0);
    const reqs = picker.pick(bits("**"), 10, 0, none);
    expect(reqs.find((r) => r.index === 1 && r.begin === BLOCK_SIZE)!.length).toBe(5);
  });

  test("released blocks go back to the pool at once", () => {
    const p = makePicker("1", { pieceLength: 2 * BLOCK_SIZE });
    const reqs = p.pick(bits("*"), 2, 0, none);
    // The same peer asks again: every block is its own already (endgame adds no duplicates for it).
    const mine = new Set(reqs.map((r) => blockKey(r.index, r.begin / BLOCK_SIZE)));
    expect(p.pick(bits("*"), 2, 0, (k) => mine.has(k))).toEqual([]);
    p.release(0, 1);
    mine.delete(blockKey(0, 1));
    expect(p.pick(bits("*"), 2, 0, (k) => mine.has(k))).toEqual([reqs[1]!]);
  });

  test("respects the in-progress budget", () => {
    const p = makePicker("1111", { maxInProgress: 2 });
    expect(p.pick(bits("****"), 10, 0, none).length).toBe(2);
    expect(p.inProgress.size).toBe(2);
  });

  test("endgame hands out outstanding blocks to a second peer, never twice to the same one", () => {
    const p = makePicker("11", { pieceLength: 2 * BLOCK_SIZE });
    const a = p.pick(bits("**"), 10, 0, none);
    expect(a.length).toBe(4);
    expect(p.endgame).toBe(true);
    const mine = new Set(a.map((r) => blockKey(r.index, r.begin / BLOCK_SIZE)));
    expect(p.pick(bits("**"), 10, 0, (k) => mine.has(k))).toEqual([]);
    const b = p.pick(bits("**"), 10, 0, none);
    expect(b.length).toBe(4);
  });

  test("a failed piece is downloaded again whole", () => {
    const p = makePicker("1", { pieceLength: 2 * BLOCK_SIZE });
    p.pick(bits("*"), 2, 0, none);
    const piece = p.inProgress.get(0)!;
    piece.store(0, new Uint8Array(BLOCK_SIZE), "a");
    piece.store(1, new Uint8Array(BLOCK_SIZE), "a");
    p.markFailed(0);
    expect(p.pick(bits("*"), 5, 0, none).length).toBe(2);
  });

  test("re-sorts by availability after it changes", () => {
    const p = makePicker("1222");
    expect(p.pick(bits(" ***"), 1, 0, none)[0]!.index).toBe(1);
    p.addHave(2);
    p.addHave(2);
    expect(p.pick(bits(" ***"), 1, 5000, none)[0]!.index).toBe(3);
  });
});

describe("Picker.startRun (web seeds)", () => {
  const all = (n: number) => Bitfield.full(n);

  test("among equally rare pieces the first from the scan's start: runs stay sequential", () => {
    const p = makePicker("11100000", { random: () => 0 });
    expect(p.startRun(all(8), 2).map((piece) => piece.index)).toEqual([3, 4]);
    expect(p.startRun(all(8), 2).map((piece) => piece.index)).toEqual([5, 6]);
    expect(p.startRun(all(8), 2).map((piece) => piece.index)).toEqual([7]);
    expect(p.startRun(all(8), 2).map((piece) => piece.index)).toEqual([0, 1]);
  });

  test("a started piece whose blocks were all released is taken again", () => {
    const p = makePicker("000", { pieceLength: 2 * BLOCK_SIZE, random: () => 0 });
    const [first] = p.startRun(all(3), 1);
    for (let b = 0; b < first!.blocks; b++) p.release(first!.index, b);
    expect(p.startRun(all(3), 3).map((piece) => piece.index)).toEqual([0, 1, 2]);
  });

  test("starts at a piece no peer has, then takes the free pieces after it", () => {
    const p = makePicker("2220022");
    const run = p.startRun(all(7), 4);
    expect(run.map((piece) => piece.index)).toEqual([3, 4, 5, 6]);
    // Every block is requested: peers pick around the run...
    expect(p.pick(bits("*******"), 3, 0, none).map((r) => r.index)).toEqual([0, 1, 2]);
    // ... until endgame, when every missing piece is in progress and blocks may be asked twice.
    expect(p.endgame).toBe(true);
    expect(p.pick(bits("*******"), 4, 0, none).map((r) => r.index)).toEqual([3, 4, 5, 6]);
  });

  test("a run stops at a piece in progress, one we have, or one the source lacks", () => {
    const p = makePicker("000000", { have: "  *   ", random: () => 0 });
    p.pick(bits("    * "), 1, 0, none); // a peer is downloading piece 4
    expect(p.startRun(all(6), 10).map((piece) => piece.index)).toEqual([0, 1]);
    expect(p.startRun(bits("*** **"), 10).map((piece) => piece.index)).toEqual([5]);
    expect(p.startRun(bits("*** * "), 10)).toEqual([]);
  });

  test("never takes a piece a peer has started, and respects the in-flight budget", () => {
    const p = makePicker("1111", { maxInProgress: 2, pieceLength: 2 * BLOCK_SIZE, random: () => 0 });
    p.pick(bits("*   "), 1, 0, none); // piece 0 started by a peer, one block still free
    const run = p.startRun(all(4), 4);
    expect(run.map((piece) => piece.index)).toEqual([1]); // budget: 2 pieces in progress
    expect(p.startRun(all(4), 4)).toEqual([]);
  });

  test("the scan starts at a random piece: hosts fetching from one origin at once ask for different runs", () => {
    const one = makePicker("00000000", { random: () => 0 });
    const other = makePicker("00000000", { random: () => 0.5 });
    expect(one.startRun(all(8), 2).map((piece) => piece.index)).toEqual([0, 1]);
    expect(other.startRun(all(8), 2).map((piece) => piece.index)).toEqual([4, 5]);
    // A run does not wrap past the last piece: it ends there, sequential.
    const late = makePicker("00000000", { random: () => 0.9 });
    expect(late.startRun(all(8), 4).map((piece) => piece.index)).toEqual([7]);
  });
});
