import { describe, expect, test } from "bun:test";
import { type EncodableValue, encodeBencode } from "../../src/bencode/index.ts";
import { hashV2File, leafHashes, merkleRoot, parseInfoDictionary, parseMetainfo, pieceMerkleHash, zeroSubtreeRoot } from "../../src/metainfo/index.ts";
import { sha1, sha256, toHex } from "../../src/util/index.ts";
import { expectRefused } from "../helpers/metainfo-errors.ts";
import { makeV2TorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const PIECE = 16384;
const BIG = patternBytes(40000, 1); // 3 pieces: a piece layer
const SMALL = patternBytes(5000, 2); // under one piece: no layer
const big = hashV2File(["big"], BIG, PIECE);
const small = hashV2File(["small"], SMALL, PIECE);

type Dict = Record<string, EncodableValue | undefined>;
const layers = (entries: [Uint8Array, Uint8Array][]) => new Map(entries) as unknown as EncodableValue;
/** A v2 multi-file torrent built by hand, so each field can be broken on its own. */
function v2(info: Dict = {}, top: Dict = {}, tree?: EncodableValue): Uint8Array {
  return encodeBencode({
    info: {
      "meta version": 2,
      name: "t",
      "piece length": PIECE,
      "file tree": tree ?? {
        big: { "": { length: BIG.length, "pieces root": big.piecesRoot } },
        d: { small: { "": { length: SMALL.length, "pieces root": small.piecesRoot } } },
      },
      ...info,
    },
    "piece layers": layers([[big.piecesRoot!, big.pieceLayer!]]),
    ...top,
  });
}

describe("BEP 52 merkle trees", () => {
  test("a one-block file's root is its block's SHA-256; two blocks hash pairwise", () => {
    expect(toHex(hashV2File(["x"], SMALL, PIECE).piecesRoot!)).toBe(toHex(sha256(SMALL)));
    const two = patternBytes(20000, 3);
    expect(toHex(hashV2File(["x"], two, 65536).piecesRoot!)).toBe(toHex(sha256(sha256(two.subarray(0, 16384)), sha256(two.subarray(16384)))));
  });
  test("the leaf layer pads to a power of two with zero hashes; a piece layer pads with zero-piece roots", () => {
    const three = patternBytes(3 * 16384, 4);
    const leaves = leafHashes(three);
    const z = new Uint8Array(32);
    const expected = sha256(sha256(leaves.subarray(0, 32), leaves.subarray(32, 64)), sha256(leaves.subarray(64, 96), z));
    expect(toHex(merkleRoot(leaves, 4))).toBe(toHex(expected));
    expect(toHex(pieceMerkleHash(three, 65536, three.length))).toBe(toHex(expected));
    // 3 pieces of one block: the 4th piece-layer node is the root of one zero block (32 zero bytes)
    expect(toHex(hashV2File(["x"], three, 16384).piecesRoot!)).toBe(toHex(expected));
    expect(toHex(zeroSubtreeRoot(2))).toBe(toHex(sha256(z, z)));
  });
});

describe("parseMetainfo: v2-only torrents", () => {
  test("file tree order, both hashes, the implied pad files and the piece layers", () => {
    const bytes = v2();
    const meta = parseMetainfo(bytes);
    expect(meta.v2?.hybrid).toBe(false);
    expect(meta.v2!.infoHash.length).toBe(32);
    expect(meta.v2!.infoHashHex).toBe(toHex(sha256(meta.infoBytes)));
    expect(meta.infoHashHex).toBe(meta.v2!.infoHashHex.slice(0, 40));
    expect(meta.files.map((f) => [f.path.join("/"), f.lengthBytes, f.offsetBytes, f.isPad])).toEqual([
      ["big", 40000, 0, false],
      [".pad/9152", 9152, 40000, true],
      ["d/small", 5000, 49152, false],
      [".pad/11384", 11384, 54152, true],
    ]);
    expect(meta.pieceCount).toBe(4);
    expect(meta.pieceHashes.length).toBe(0);
    expect(meta.multiFile).toBe(true);
    expect(meta.v2!.files.map((f) => [f.path.join("/"), f.fileIndex])).toEqual([["big", 0], ["d/small", 2]]);
    expect(toHex(meta.v2!.pieceLayers.get(toHex(big.piecesRoot!))!)).toBe(toHex(big.pieceLayer!));
  });

  test("single file, and an empty file has no pieces root", () => {
    const one = makeV2TorrentFixture({ name: "one.bin", pieceLength: PIECE, data: BIG });
    expect(one.meta.multiFile).toBe(false);
    expect(one.meta.files.map((f) => f.path)).toEqual([["one.bin"], [".pad", "9152"]]); // whole pieces on the wire, as libtorrent has them
    const withEmpty = parseMetainfo(v2({}, {}, { big: { "": { length: BIG.length, "pieces root": big.piecesRoot } }, e: { "": { length: 0 } } }));
    expect(withEmpty.v2!.files.map((f) => [f.path[0], f.piecesRoot === undefined])).toEqual([["big", false], ["e", true]]);
  });

  test("a bare info dict (BEP 9) parses without piece layers", () => {
    const meta = parseMetainfo(v2());
    const bare = parseInfoDictionary(meta.infoBytes);
    expect(bare.v2!.infoHashHex).toBe(meta.v2!.infoHashHex);
    expect(bare.v2!.pieceLayers.size).toBe(0);
  });

  const bad: [string, Uint8Array, string, RegExp][] = [
    ["meta version 3", v2({ "meta version": 3 }), "info.meta version", /expected 2 \(BEP 52\), got the integer 3/],
    ["a file tree without meta version", v2({ "meta version": undefined }), "info.meta version", /but it is missing/],
    ["meta version without a file tree", v2({ "file tree": undefined }), "info.file tree", /expected a non-empty dictionary, but it is missing/],
    ["piece length not a power of two", v2({ "piece length": 3 * PIECE }), "info.piece length", /power of two of at least 16384/],
    ["piece length under 16 KiB", v2({ "piece length": 8192 }), "info.piece length", /power of two of at least 16384/],
    ["an empty file tree", v2({}, {}, {}), "info.file tree", /non-empty dictionary, got a dictionary/],
    ["a file tree that is a list", v2({}, {}, ["x"]), "info.file tree", /got a list of 1/],
    ["a missing pieces root", v2({}, {}, { x: { "": { length: 5 } } }), "info.file tree[x].pieces root", /32-byte SHA-256 merkle root, but it is missing/],
    ["a 20-byte pieces root", v2({}, {}, { x: { "": { length: 5, "pieces root": new Uint8Array(20) } } }), "info.file tree[x].pieces root", /got a 20-byte string/],
    ["a negative length", v2({}, {}, { x: { "": { length: -1 } } }), "info.file tree[x].length", /non-negative integer/],
    ["a file entry beside other keys", v2({}, {}, { x: { "": { length: 0 }, y: { "": { length: 0 } } } }), "info.file tree[x]", /cannot share its dictionary/],
    ["a file entry that is not a dict", v2({}, {}, { x: { "": 5 } }), 'info.file tree[x][""]', /expected a dictionary/],
    ["an empty directory", v2({}, {}, { x: {} }), "info.file tree[x]", /got an empty dictionary/],
    ["a path component ..", v2({}, {}, { "..": { "": { length: 0 } } }), "info.file tree[..]", /not allowed/],
    ["a node that is a string", v2({}, {}, { x: "y" }), "info.file tree[x]", /expected a dictionary, got a 1-byte string/],
    ["only empty files", v2({}, {}, { x: { "": { length: 0 } } }), "info", /total length 0/],
    ["no piece layers", v2({}, { "piece layers": undefined }), "piece layers", /expected a dictionary of piece layers by pieces root, but it is missing/],
    ["a missing layer", v2({}, { "piece layers": layers([]) }), `piece layers[${toHex(big.piecesRoot!)}]`, /expected the piece layer of big, but it is missing/],
    ["a short layer", v2({}, { "piece layers": layers([[big.piecesRoot!, big.pieceLayer!.subarray(32)]]) }), `piece layers[${toHex(big.piecesRoot!)}]`, /expected 96 bytes \(3 pieces of big\), got 64/],
    ["a layer of another file", v2({}, { "piece layers": layers([[big.piecesRoot!, new Uint8Array(96)]]) }), `piece layers[${toHex(big.piecesRoot!)}]`, /does not hash to the pieces root of big/],
  ];
  for (const [what, bytes, field, message] of bad) test(`refuses ${what}, naming ${field}`, () => expectRefused(bytes, field, message));
});

describe("parseMetainfo: hybrid torrents", () => {
  const files = [
    { path: ["b", "x.bin"], data: SMALL },
    { path: ["a.bin"], data: BIG },
    { path: ["empty"], data: new Uint8Array(0) },
  ];
  test("v1 and v2 hashes; v1 files with pad files align each file to a piece", () => {
    const f = makeV2TorrentFixture({ name: "h", pieceLength: PIECE, files, hybrid: true });
    expect(f.meta.v2?.hybrid).toBe(true);
    expect(f.meta.infoHashHex).toBe(toHex(sha1(f.meta.infoBytes)));
    expect(f.meta.v2!.infoHashHex).toBe(toHex(sha256(f.meta.infoBytes)));
    expect(f.meta.files.map((x) => `${x.path.join("/")}:${x.lengthBytes}${x.isPad ? "p" : ""}`)).toEqual([
      "a.bin:40000",
      ".pad/9152:9152p",
      "b/x.bin:5000",
      ".pad/11384:11384p",
      "empty:0",
    ]);
    expect(f.meta.v2!.files.map((x) => x.fileIndex)).toEqual([0, 2, 4]);
    expect(f.meta.pieceCount).toBe(4);
    const single = makeV2TorrentFixture({ name: "s.bin", pieceLength: PIECE, data: BIG, hybrid: true });
    expect(single.meta.files.map((x) => x.lengthBytes)).toEqual([40000]);
  });

  const hybrid = makeV2TorrentFixture({ name: "h", pieceLength: PIECE, files, hybrid: true });
  /** The hybrid torrent with its v1 `files` (and, when their total changes, `pieces`) replaced. */
  function withV1Files(list: EncodableValue, pieces?: Uint8Array): Uint8Array {
    const info = { ...v1Info(), files: list, ...(pieces && { pieces }) };
    return encodeBencode({ info, "piece layers": layers([[big.piecesRoot!, big.pieceLayer!]]) });
  }
  function v1Info(): Dict {
    return {
      "meta version": 2,
      name: "h",
      "piece length": PIECE,
      pieces: hybrid.meta.pieceHashes,
      "file tree": {
        "a.bin": { "": { length: BIG.length, "pieces root": big.piecesRoot } },
        b: { "x.bin": { "": { length: SMALL.length, "pieces root": small.piecesRoot } } },
        empty: { "": { length: 0 } },
      },
    };
  }
  const good = [
    { length: 40000, path: ["a.bin"] },
    { attr: "p", length: 9152, path: [".pad", "9152"] },
    { length: 5000, path: ["b", "x.bin"] },
    { attr: "p", length: 11384, path: [".pad", "11384"] },
    { length: 0, path: ["empty"] },
  ];
  test("the hand-built hybrid parses (the table below breaks one thing each)", () => {
    expect(parseMetainfo(withV1Files(good)).v2?.hybrid).toBe(true);
  });
  const bad: [string, Uint8Array, string, RegExp][] = [
    ["a missing pad file", withV1Files([good[0]!, good[2]!, good[3]!, good[4]!], new Uint8Array(80)), "info.files[1]", /starts at byte 40000, not on a piece boundary/],
    ["files in another order", withV1Files([good[2]!, good[3]!, good[0]!, good[1]!, good[4]!]), "info.files[0]", /b\/x\.bin \(5000 bytes\) differs from info\.file tree\[a\.bin\]/],
    ["a file missing from v1", withV1Files(good.slice(0, 4)), "info.files", /hybrid torrent: 2 files besides pad files, but info\.file tree holds 3/],
    ["another length", withV1Files([{ length: 39999, path: ["a.bin"] }, { attr: "p", length: 9153, path: [".pad", "9153"] }, ...good.slice(2)]), "info.files[0]", /differs/],
    ["a v1 single file against a tree of three", encodeBencode({ info: { ...v1Info(), files: undefined, length: 65536 } }), "info.file tree", /hybrid torrent: the file tree is multi-file/],
  ];
  for (const [what, bytes, field, message] of bad) test(`refuses ${what}, naming ${field}`, () => expectRefused(bytes, field, message));
});
