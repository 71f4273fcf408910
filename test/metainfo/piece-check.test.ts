import { describe, expect, test } from "bun:test";
import { expectedMerkleHash, pieceLengthAt, pieceMatches, usesMerklePieces } from "../../src/metainfo/index.ts";
import { makeTorrentFixture, makeV2TorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const PIECE = 16384;
const files = [
  { path: ["a.bin"], data: patternBytes(40_000, 1) }, // 3 pieces, a piece layer
  { path: ["b.bin"], data: patternBytes(5000, 2) }, // under one piece: its root
  { path: ["c.bin"], data: patternBytes(2 * PIECE, 3) }, // whole pieces, no padding after it
];

/** The torrent's bytes as the wire carries them: each file followed by the zeros of its implied pad. */
function wireData(meta: ReturnType<typeof makeV2TorrentFixture>["meta"]): Uint8Array {
  const out = new Uint8Array(meta.totalLength);
  for (const f of meta.files) if (!f.isPad) out.set(files.find((x) => x.path.join("/") === f.path.join("/"))!.data, f.offsetBytes);
  return out;
}

describe("pieceMatches (BEP 52 v2-only: merkle hashes against piece layers and roots)", () => {
  const { meta } = makeV2TorrentFixture({ name: "t", pieceLength: PIECE, files });
  const data = wireData(meta);
  const piece = (i: number) => data.subarray(i * PIECE, i * PIECE + pieceLengthAt(meta, i));

  test("every piece of the right data matches; its expected hash is known", () => {
    expect(usesMerklePieces(meta)).toBe(true);
    expect(meta.pieceCount).toBe(6);
    for (let i = 0; i < meta.pieceCount; i++) {
      expect(expectedMerkleHash(meta, i)?.length).toBe(32);
      expect(pieceMatches(meta, i, piece(i))).toBe(true);
    }
  });

  test("one flipped byte fails that piece only; pad bytes carry nothing", () => {
    for (const at of [0, 16383, 2 * PIECE + 1, 3 * PIECE + 4999, 5 * PIECE]) {
      const bad = data.slice();
      bad[at]! ^= 1;
      const i = Math.floor(at / PIECE);
      expect(pieceMatches(meta, i, bad.subarray(i * PIECE, i * PIECE + pieceLengthAt(meta, i)))).toBe(false);
    }
    const padded = piece(3).slice();
    padded[5000] = 7; // in b.bin's pad
    expect(pieceMatches(meta, 3, padded)).toBe(true);
  });

  test("a piece moved to another index does not match", () => {
    expect(pieceMatches(meta, 4, piece(5))).toBe(false);
  });

  test("v1 and hybrid torrents are checked by SHA-1", () => {
    const hybrid = makeV2TorrentFixture({ name: "h", pieceLength: PIECE, files, hybrid: true });
    expect(usesMerklePieces(hybrid.meta)).toBe(false);
    expect(pieceMatches(hybrid.meta, 0, hybrid.data.subarray(0, PIECE))).toBe(true);
    const v1 = makeTorrentFixture({ name: "x", pieceLength: PIECE, data: patternBytes(20_000, 4) });
    expect(pieceMatches(v1.meta, 1, v1.data.subarray(PIECE))).toBe(true);
    expect(pieceMatches(v1.meta, 1, v1.data.subarray(0, 3616))).toBe(false);
  });
});
