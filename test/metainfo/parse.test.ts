// parseMetainfo: valid torrents, and each structural and field error named (name, piece length, pieces,
// length and files). Trackers, flags, optional fields and BEP 9 info dictionaries: parse-fields.test.ts.

import { describe, expect, test } from "bun:test";
import { type EncodableValue, encodeBencode } from "../../src/bencode/index.ts";
import { MAX_PIECE_LENGTH, parseMetainfo } from "../../src/metainfo/index.ts";
import { BencodeError, sha1, toHex } from "../../src/util/index.ts";
import { expectRefused } from "../helpers/metainfo-errors.ts";
import { INVALID_UTF8, MULTI, SINGLE, multi, rawInfo, single } from "../helpers/metainfo-samples.ts";
import { makeTorrentBytes, makeTorrentFixture, pieceHashes } from "../helpers/torrent-fixture.ts";

describe("parseMetainfo on valid torrents", () => {
  test("a single-file torrent: name, geometry and one file named after the torrent", () => {
    const fx = makeTorrentFixture(SINGLE);
    const meta = fx.meta;
    expect(meta.name).toBe("single.bin");
    expect(meta.pieceLength).toBe(16);
    expect(meta.pieceCount).toBe(3);
    expect(meta.totalLength).toBe(40);
    expect(meta.multiFile).toBe(false);
    expect(meta.files).toEqual([{ path: ["single.bin"], lengthBytes: 40, offsetBytes: 0, isPad: false }]);
    expect(meta.pieceHashes).toEqual(pieceHashes(fx.data, 16));
    expect(meta.private).toBe(false);
    expect(meta.announceTiers).toEqual([]);
    expect(meta.urlList).toEqual([]);
    expect(meta.createdBy).toBe("ripple test fixture");
    expect(meta.comment).toBeUndefined();
    expect(meta.creationDate).toBeUndefined();
  });

  test("a multi-file torrent: files in order with cumulative offsets", () => {
    const meta = makeTorrentFixture(MULTI).meta;
    expect(meta.multiFile).toBe(true);
    expect(meta.totalLength).toBe(40);
    expect(meta.pieceCount).toBe(3);
    expect(meta.files).toEqual([
      { path: ["a.bin"], lengthBytes: 10, offsetBytes: 0, isPad: false },
      { path: ["dir", "b.bin"], lengthBytes: 30, offsetBytes: 10, isPad: false },
    ]);
  });

  test("infoHash is SHA-1 of the raw info bytes, found by an independent decoder", () => {
    const bytes = multi();
    const meta = parseMetainfo(bytes);
    expect(meta.infoBytes).toEqual(rawInfo(bytes));
    expect(meta.infoHash).toEqual(sha1(rawInfo(bytes)));
    expect(meta.infoHashHex).toBe(toHex(sha1(rawInfo(bytes))));
  });

  test("infoHash covers the info bytes as written, not a re-sorted encoding", () => {
    // Keys out of order and an unknown key: legal input whose re-encoding would hash differently.
    const pieces = pieceHashes(new Uint8Array(5), 16);
    const info = `d4:name1:x6:lengthi5e12:piece lengthi16e6:pieces20:${String.fromCharCode(...pieces)}7:x-extrai1ee`;
    const bytes = Uint8Array.from(`d4:info${info}e`, (ch) => ch.charCodeAt(0));
    const meta = parseMetainfo(bytes);
    expect(String.fromCharCode(...meta.infoBytes)).toBe(info);
    expect(meta.infoHash).toEqual(sha1(bytes.subarray("d4:info".length, bytes.length - 1)));
  });

  test("infoBytes and pieceHashes are copies, not views into the input", () => {
    const bytes = single();
    const meta = parseMetainfo(bytes);
    const before = { info: meta.infoBytes.slice(), pieces: meta.pieceHashes.slice() };
    bytes.fill(0);
    expect(meta.infoBytes).toEqual(before.info);
    expect(meta.pieceHashes).toEqual(before.pieces);
  });

  test("the largest supported piece length (256 MiB) is accepted", () => {
    const meta = parseMetainfo(makeTorrentBytes({ ...SINGLE, pieceLength: MAX_PIECE_LENGTH }).torrentBytes);
    expect(meta.pieceLength).toBe(256 * 1024 * 1024);
    expect(meta.pieceCount).toBe(1);
  });

  test("a piece length that is not a power of two is accepted (BEP 3 does not require one)", () => {
    expect(parseMetainfo(makeTorrentBytes({ ...SINGLE, pieceLength: 7 }).torrentBytes).pieceCount).toBe(6);
  });

  test("unknown keys are ignored", () => {
    expect(parseMetainfo(single({ "x-unknown": ["anything", 1] }, { "x-top": { a: 1 } })).name).toBe("single.bin");
  });

  test("v2 fields make a hybrid torrent, checked by BEP 52's rules too (test/metainfo/parse-v2.test.ts)", () => {
    const hybrid = single({ "meta version": 2, "file tree": { "single.bin": { "": { length: 40 } } } }, { "piece layers": {} });
    expectRefused(hybrid, "info.piece length", /power of two of at least 16384 in a v2 torrent/);
  });
});

describe("parseMetainfo: structure errors", () => {
  test("malformed bencode propagates as a BencodeError naming the offset", () => {
    const bytes = single();
    const truncated = bytes.subarray(0, bytes.length - 1);
    expect(() => parseMetainfo(truncated)).toThrow(BencodeError);
    expect(() => parseMetainfo(truncated)).toThrow(/unterminated dictionary at byte \d+/);
    expect(() => parseMetainfo(new Uint8Array([...bytes, 0x65]))).toThrow(/1 trailing bytes/);
    expect(() => parseMetainfo(new Uint8Array(0))).toThrow(BencodeError);
  });

  test("the top level must be a dictionary", () => {
    expectRefused(encodeBencode(["info"]), "torrent", /expected a dictionary at the top level, got a list of 1/);
    expectRefused(encodeBencode("d4:infoe"), "torrent");
  });

  test("info must be present and a dictionary", () => {
    expectRefused(encodeBencode({ announce: "http://127.0.0.1/a" }), "info", /expected a dictionary, but it is missing/);
    expectRefused(encodeBencode({ info: ["x"] }), "info", /expected a dictionary, got a list of 1/);
    expectRefused(encodeBencode({ info: "d4:name1:xe" }), "info", /got a 11-byte string/);
  });
});

describe("parseMetainfo: info.name", () => {
  test("is required and must be a string", () => {
    expectRefused(single({ name: undefined }), "info.name", /expected a string, but it is missing/);
    expectRefused(single({ name: 5 }), "info.name", /expected a string, got the integer 5/);
  });

  test("must be UTF-8", () => {
    expectRefused(single({ name: INVALID_UTF8 }), "info.name", /expected UTF-8 text/);
  });

  test("name.utf-8 wins when it is valid UTF-8", () => {
    expect(parseMetainfo(single({ name: INVALID_UTF8, "name.utf-8": "fünf" })).name).toBe("fünf");
    expect(parseMetainfo(single({ name: "plain", "name.utf-8": "fünf" })).name).toBe("fünf");
  });

  test("an invalid or empty name.utf-8 is ignored in favour of name", () => {
    expect(parseMetainfo(single({ "name.utf-8": INVALID_UTF8 })).name).toBe("single.bin");
    expect(parseMetainfo(single({ "name.utf-8": "" })).name).toBe("single.bin");
    expect(parseMetainfo(single({ "name.utf-8": 7 })).name).toBe("single.bin");
  });
});

describe("parseMetainfo: info.piece length", () => {
  const cases: [string, EncodableValue | undefined, RegExp][] = [
    ["missing", undefined, /expected a positive integer, but it is missing/],
    ["zero", 0, /expected a positive integer, got the integer 0/],
    ["negative", -5, /^info\.piece length: expected a positive integer, got the integer -5$/],
    ["a string", "16", /got a 2-byte string/],
    ["a list", [16], /got a list of 1/],
  ];
  for (const [what, value, message] of cases) {
    test(`refuses ${what}`, () => expectRefused(single({ "piece length": value }), "info.piece length", message));
  }

  test("refuses more than 256 MiB, saying why", () => {
    expectRefused(single({ "piece length": MAX_PIECE_LENGTH * 2 }), "info.piece length", /536870912 is above the supported maximum of 268435456 \(256 MiB\).*piece \* 16384 \+ block/);
  });

  test("refuses an integer beyond 2^53", () => {
    const bytes = Uint8Array.from(String.fromCharCode(...single()).replace("i16e", "i99999999999999999999e"), (c) => c.charCodeAt(0));
    expectRefused(bytes, "info.piece length", /got the integer 99999999999999999999/);
  });
});

describe("parseMetainfo: info.pieces", () => {
  test("must be a byte string", () => {
    expectRefused(single({ pieces: undefined }), "info.pieces", /expected a string of 20-byte SHA-1 hashes, but it is missing/);
    expectRefused(single({ pieces: [new Uint8Array(20)] }), "info.pieces", /got a list of 1/);
  });

  test("must have a length that is a multiple of 20", () => {
    expectRefused(single({ pieces: new Uint8Array(61) }), "info.pieces", /length 61 is not a multiple of 20/);
  });

  test("must hold exactly one hash per piece", () => {
    expectRefused(single({ pieces: new Uint8Array(40) }), "info.pieces", /holds 2 hashes, but 40 bytes in pieces of 16 make 3 pieces/);
    expectRefused(single({ pieces: new Uint8Array(80) }), "info.pieces", /holds 4 hashes/);
    expectRefused(single({ pieces: new Uint8Array(0) }), "info.pieces", /holds 0 hashes/);
  });
});

describe("parseMetainfo: info.length and info.files", () => {
  test("refuses a torrent with both", () => {
    expectRefused(multi({ length: 40 }), "info.files", /either info\.length \(single file\) or info\.files \(multi-file\), not both/);
  });

  test("refuses a torrent with neither", () => {
    expectRefused(single({ length: undefined }), "info.length", /missing: a torrent needs info\.length \(single file\) or info\.files/);
  });

  const badLengths: [string, EncodableValue, RegExp][] = [
    ["negative", -1, /expected a non-negative integer below 2\^53, got the integer -1/],
    ["a string", "40", /got a 2-byte string/],
    ["a dictionary", { n: 40 }, /got a dictionary/],
  ];
  for (const [what, value, message] of badLengths) {
    test(`refuses info.length that is ${what}`, () => expectRefused(single({ length: value }), "info.length", message));
    test(`refuses info.files[i].length that is ${what}`, () => {
      expectRefused(multi({ files: [{ length: 10, path: ["a"] }, { length: value, path: ["b"] }] }), "info.files[1].length", message);
    });
  }

  test("refuses a length beyond 2^53 (decoded as bigint)", () => {
    const bytes = Uint8Array.from(String.fromCharCode(...single()).replace("6:lengthi40e", "6:lengthi18446744073709551616e"), (c) => c.charCodeAt(0));
    expectRefused(bytes, "info.length", /got the integer 18446744073709551616/);
  });

  test("refuses files whose total length is not a safe integer", () => {
    const files = [{ length: 2 ** 52, path: ["a"] }, { length: 2 ** 52, path: ["b"] }];
    expectRefused(multi({ files }), "info.files", /total length passes 2\^53 - 1 bytes at info\.files\[1\]/);
  });

  test("refuses info.files that is not a non-empty list", () => {
    expectRefused(multi({ files: [] }), "info.files", /expected a non-empty list of files, got a list of 0/);
    expectRefused(multi({ files: { a: 1 } }), "info.files", /got a dictionary/);
  });

  test("refuses a file entry that is not a dictionary", () => {
    expectRefused(multi({ files: [{ length: 40, path: ["a"] }, "b"] }), "info.files[1]", /expected a dictionary, got a 1-byte string/);
  });

  test("refuses a file entry without a length", () => {
    expectRefused(multi({ files: [{ path: ["a"] }] }), "info.files[0].length", /but it is missing/);
  });

  test("refuses a torrent that holds no data", () => {
    const empty = makeTorrentBytes({ name: "empty", pieceLength: 16, data: new Uint8Array(0) }).torrentBytes;
    expectRefused(empty, "info", /torrent holds no data \(total length 0\); ripple cannot download an empty torrent/);
    const emptyFiles = makeTorrentBytes({ name: "e", pieceLength: 16, files: [{ path: ["a"], data: new Uint8Array(0) }] }).torrentBytes;
    expectRefused(emptyFiles, "info", /holds no data/);
  });
});
