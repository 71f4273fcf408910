import { describe, expect, test } from "bun:test";
import {
  BLOCK_SIZE,
  type FileSpan,
  blockCount,
  blockLengthAt,
  pieceHash,
  pieceLengthAt,
  pieceSpans,
  spansForRange,
} from "../../src/metainfo/index.ts";
import { sha1 } from "../../src/util/index.ts";
import { type FixtureFile, makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const file = (path: string, length: number, seed: number, pad = false): FixtureFile => ({
  path: path.split("/"),
  data: pad ? new Uint8Array(length) : patternBytes(length, seed),
  pad,
});

/** Spans as compact tuples: [fileIndex, fileOffset, rangeOffset, lengthBytes]. */
const brief = (spans: FileSpan[]) => spans.map((s) => [s.fileIndex, s.fileOffset, s.rangeOffset, s.lengthBytes]);

describe("pieceLengthAt", () => {
  test("every piece is full except a short last one", () => {
    const { meta } = makeTorrentFixture({ name: "s", pieceLength: 16, data: patternBytes(40, 1) });
    expect([0, 1, 2].map((i) => pieceLengthAt(meta, i))).toEqual([16, 16, 8]);
  });

  test("the last piece is full when the length is a multiple of the piece length", () => {
    const { meta } = makeTorrentFixture({ name: "s", pieceLength: 16, data: patternBytes(32, 1) });
    expect([0, 1].map((i) => pieceLengthAt(meta, i))).toEqual([16, 16]);
  });

  test("a torrent shorter than one piece has a single short piece", () => {
    const { meta } = makeTorrentFixture({ name: "s", pieceLength: 16384, data: patternBytes(5, 1) });
    expect(meta.pieceCount).toBe(1);
    expect(pieceLengthAt(meta, 0)).toBe(5);
  });

  test("refuses an index out of range", () => {
    const { meta } = makeTorrentFixture({ name: "s", pieceLength: 16, data: patternBytes(40, 1) });
    expect(() => pieceLengthAt(meta, -1)).toThrow(RangeError);
    expect(() => pieceLengthAt(meta, 3)).toThrow(/piece index out of range: 3/);
  });
});

describe("blockCount and blockLengthAt", () => {
  test("a piece is cut into 16 KiB blocks with a short last one", () => {
    expect(blockCount(40_000)).toBe(3);
    expect([0, 1, 2].map((b) => blockLengthAt(40_000, b))).toEqual([BLOCK_SIZE, BLOCK_SIZE, 40_000 - 2 * BLOCK_SIZE]);
  });

  test("a piece that is a multiple of the block size has only full blocks", () => {
    expect(blockCount(2 * BLOCK_SIZE)).toBe(2);
    expect(blockLengthAt(2 * BLOCK_SIZE, 1)).toBe(BLOCK_SIZE);
  });

  test("a piece smaller than a block is one block", () => {
    expect(blockCount(100)).toBe(1);
    expect(blockLengthAt(100, 0)).toBe(100);
  });

  test("the short last piece of a torrent has its own block layout", () => {
    const { meta } = makeTorrentFixture({ name: "s", pieceLength: 4 * BLOCK_SIZE, data: patternBytes(4 * BLOCK_SIZE + BLOCK_SIZE + 1, 1) });
    const last = pieceLengthAt(meta, 1);
    expect(blockCount(last)).toBe(2);
    expect(blockLengthAt(last, 1)).toBe(1);
  });
});

describe("pieceSpans", () => {
  test("a single-file torrent maps each piece to one span of its file", () => {
    const { meta } = makeTorrentFixture({ name: "s", pieceLength: 16, data: patternBytes(40, 1) });
    expect(brief(pieceSpans(meta, 2))).toEqual([[0, 32, 0, 8]]);
  });

  test("a piece spans three files", () => {
    const { meta } = makeTorrentFixture({ name: "m", pieceLength: 16, files: [file("a", 10, 1), file("b", 3, 2), file("c", 10, 3)] });
    expect(brief(pieceSpans(meta, 0))).toEqual([[0, 0, 0, 10], [1, 0, 10, 3], [2, 0, 13, 3]]);
    expect(brief(pieceSpans(meta, 1))).toEqual([[2, 3, 0, 7]]);
  });

  test("zero-length files at the start, middle and end are skipped", () => {
    const files = [file("empty-first", 0, 0), file("a", 10, 1), file("mid", 0, 0), file("b", 10, 2), file("z-last", 0, 0)];
    const { meta } = makeTorrentFixture({ name: "m", pieceLength: 8, files });
    expect(meta.files.map((f) => f.offsetBytes)).toEqual([0, 0, 10, 10, 20]);
    expect(brief(pieceSpans(meta, 0))).toEqual([[1, 0, 0, 8]]);
    expect(brief(pieceSpans(meta, 1))).toEqual([[1, 8, 0, 2], [3, 0, 2, 6]]);
    expect(brief(pieceSpans(meta, 2))).toEqual([[3, 6, 0, 4]]);
  });

  test("pad files appear in the spans, marked, so storage can skip them", () => {
    const { meta } = makeTorrentFixture({ name: "m", pieceLength: 16, files: [file("a", 10, 1), file(".pad/6", 6, 0, true), file("b", 16, 2)] });
    const spans = pieceSpans(meta, 0);
    expect(brief(spans)).toEqual([[0, 0, 0, 10], [1, 0, 10, 6]]);
    expect(spans.map((s) => s.file.isPad)).toEqual([false, true]);
    expect(brief(pieceSpans(meta, 1))).toEqual([[2, 0, 0, 16]]);
  });

  test("reassembling every piece from its spans gives back the torrent data, for many layouts", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const shape = patternBytes(8, seed * 7);
      const files = [...shape].map((b, i) => file(`f${i}`, b % 5 === 0 ? 0 : b % 50, seed * 100 + i));
      if (files.every((f) => f.data.length === 0)) continue;
      const pieceLength = 1 + (shape[0]! % 23);
      const fx = makeTorrentFixture({ name: "m", pieceLength, files });
      for (let index = 0; index < fx.meta.pieceCount; index++) {
        const piece = new Uint8Array(pieceLengthAt(fx.meta, index));
        let covered = 0;
        for (const s of pieceSpans(fx.meta, index)) {
          expect(s.lengthBytes).toBeGreaterThan(0);
          piece.set(files[s.fileIndex]!.data.subarray(s.fileOffset, s.fileOffset + s.lengthBytes), s.rangeOffset);
          covered += s.lengthBytes;
        }
        expect(covered).toBe(piece.length);
        expect(sha1(piece)).toEqual(pieceHash(fx.meta, index));
      }
    }
  });
});

describe("spansForRange", () => {
  const { meta } = makeTorrentFixture({ name: "m", pieceLength: 16, files: [file("a", 10, 1), file("e", 0, 0), file("b", 5, 2), file("c", 10, 3)] });

  test("a range inside one file", () => {
    expect(brief(spansForRange(meta.files, 2, 5))).toEqual([[0, 2, 0, 5]]);
  });

  test("a range starting exactly at a file boundary skips the empty file there", () => {
    expect(brief(spansForRange(meta.files, 10, 7))).toEqual([[2, 0, 0, 5], [3, 0, 5, 2]]);
  });

  test("a range ending exactly at a file boundary does not touch the next file", () => {
    expect(brief(spansForRange(meta.files, 0, 10))).toEqual([[0, 0, 0, 10]]);
  });

  test("the whole torrent", () => {
    expect(brief(spansForRange(meta.files, 0, 25))).toEqual([[0, 0, 0, 10], [2, 0, 10, 5], [3, 0, 15, 10]]);
  });

  test("an empty range has no spans", () => {
    expect(spansForRange(meta.files, 12, 0)).toEqual([]);
  });

  test("a range past the end has no spans", () => {
    expect(spansForRange(meta.files, 25, 10)).toEqual([]);
  });
});

describe("pieceHash", () => {
  test("is the 20-byte SHA-1 of the piece's data", () => {
    const fx = makeTorrentFixture({ name: "s", pieceLength: 16, data: patternBytes(40, 9) });
    expect(pieceHash(fx.meta, 2)).toEqual(sha1(fx.data.subarray(32, 40)));
    expect(pieceHash(fx.meta, 0)).toHaveLength(20);
  });
});
