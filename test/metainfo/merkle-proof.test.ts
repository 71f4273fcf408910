import { describe, expect, test } from "bun:test";
import { MAX_HASHES_PER_REQUEST, hashesForRequest, nextPowerOfTwo, zeroSubtreeRoot } from "../../src/metainfo/index.ts";
import { sha256, toHex } from "../../src/util/index.ts";
import { makeV2TorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const PIECE = 32768; // piece layer = layer 1 (two blocks a piece)
const BIG = patternBytes(37 * PIECE + 5, 1); // 38 pieces: a padded piece layer of 64
const { meta } = makeV2TorrentFixture({ name: "t", pieceLength: PIECE, files: [{ path: ["big"], data: BIG }, { path: ["small"], data: patternBytes(100, 2) }] });
const big = meta.v2!.files.find((f) => f.path[0] === "big")!;
const small = meta.v2!.files.find((f) => f.path[0] === "small")!;
const layer = meta.v2!.pieceLayers.get(toHex(big.piecesRoot!))!;
const pieceHash = (i: number) => (i < 38 ? layer.subarray(i * 32, i * 32 + 32) : zeroSubtreeRoot(2));
const req = (index: number, length: number, proofLayers: number, baseLayer = 1) => ({ piecesRoot: big.piecesRoot!, baseLayer, index, length, proofLayers });

/** Folds a range's hashes and its uncles back to a root, as a requester checks them. */
function rootFrom(hashes: Uint8Array, index: number, length: number): Uint8Array {
  let nodes: Uint8Array[] = [];
  for (let i = 0; i < length; i++) nodes.push(hashes.subarray(i * 32, i * 32 + 32));
  while (nodes.length > 1) nodes = nodes.flatMap((n, i) => (i % 2 === 0 ? [sha256(n, nodes[i + 1]!)] : []));
  let node = index / length;
  let h = nodes[0]!;
  for (let at = length * 32; at < hashes.length; at += 32, node >>= 1) {
    const uncle = hashes.subarray(at, at + 32);
    h = node % 2 === 0 ? sha256(h, uncle) : sha256(uncle, h);
  }
  return h;
}

describe("hashesForRequest (BEP 52 hashes from the piece layers)", () => {
  test("the whole padded piece layer, no uncles needed", () => {
    const hashes = hashesForRequest(meta, req(0, 64, 6))!;
    expect(hashes.length).toBe(64 * 32);
    expect(toHex(hashes.subarray(0, 38 * 32))).toBe(toHex(layer));
    expect(toHex(hashes.subarray(38 * 32, 39 * 32))).toBe(toHex(pieceHash(38)));
    expect(toHex(rootFrom(hashes, 0, 64))).toBe(toHex(big.piecesRoot!));
  });

  test("a range with uncles up to the root proves itself, lowest uncle first", () => {
    for (const [index, length] of [[32, 16], [0, 8], [56, 8], [36, 2]] as const) {
      const hashes = hashesForRequest(meta, req(index, length, 6))!;
      expect(hashes.length).toBe((length + 6 - Math.log2(length)) * 32);
      expect(toHex(hashes.subarray(0, 32))).toBe(toHex(pieceHash(index)));
      expect(toHex(rootFrom(hashes, index, length))).toBe(toHex(big.piecesRoot!));
    }
  });

  test("proof layers limit the uncles (counted from the base layer); layers above the piece layer can be asked for", () => {
    expect(hashesForRequest(meta, req(32, 16, 5))!.length).toBe((16 + 1) * 32);
    expect(hashesForRequest(meta, req(32, 16, 0))!.length).toBe(16 * 32);
    const upper = hashesForRequest(meta, req(0, 2, 5, 2))!; // layer 2: pairs of pieces
    expect(toHex(upper.subarray(0, 32))).toBe(toHex(sha256(pieceHash(0), pieceHash(1))));
  });

  const rejected: [string, ReturnType<typeof req>][] = [
    ["an unknown root", { ...req(0, 2, 0), piecesRoot: new Uint8Array(32) }],
    ["a file without a piece layer", { ...req(0, 2, 0), piecesRoot: small.piecesRoot! }],
    ["the block layer (not in a .torrent)", req(0, 2, 0, 0)],
    ["an index not a multiple of the length", req(3, 2, 0)],
    ["a length not a power of two", req(0, 3, 0)],
    ["a length of 0", req(0, 0, 0)],
    ["past the padded layer", req(64, 2, 0)],
    ["a layer above the root", req(0, 2, 0, 9)],
    ["more than 512 hashes", req(0, nextPowerOfTwo(MAX_HASHES_PER_REQUEST + 1), 0)],
  ];
  for (const [what, r] of rejected) test(`rejects ${what}`, () => expect(hashesForRequest(meta, r)).toBeUndefined());
});
