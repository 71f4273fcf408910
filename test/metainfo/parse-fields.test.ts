// parseMetainfo: trackers (BEP 12), the private flag (BEP 27) and optional fields; parseInfoDictionary for
// metadata fetched from peers (BEP 9). Valid torrents and structural errors: parse.test.ts.

import { describe, expect, test } from "bun:test";
import { encodeBencode } from "../../src/bencode/index.ts";
import { MAX_PIECE_LENGTH, parseInfoDictionary, parseMetainfo } from "../../src/metainfo/index.ts";
import { BencodeError, MetainfoError, sha1, toHex, utf8 } from "../../src/util/index.ts";
import { expectRefused, metainfoError } from "../helpers/metainfo-errors.ts";
import { INVALID_UTF8, SINGLE, multi, rawInfo, single } from "../helpers/metainfo-samples.ts";
import { makeTorrentBytes, pieceHashes } from "../helpers/torrent-fixture.ts";

describe("parseMetainfo: trackers (BEP 12)", () => {
  const A = "http://127.0.0.1:6969/announce";
  const B = "udp://127.0.0.1:6969";
  const C = "http://127.0.0.1:7000/announce";

  test("announce alone becomes one tier", () => {
    expect(parseMetainfo(single({}, { announce: A })).announceTiers).toEqual([[A]]);
  });

  test("announce-list wins over announce, tier order kept", () => {
    expect(parseMetainfo(single({}, { announce: C, "announce-list": [[A, B], [C]] })).announceTiers).toEqual([[A, B], [C]]);
  });

  test("empty tiers and blank URLs are dropped, URLs are trimmed", () => {
    const list = [[], [""], ["  ", ` ${A} `], [], [B]];
    expect(parseMetainfo(single({}, { "announce-list": list })).announceTiers).toEqual([[A], [B]]);
  });

  test("a URL repeated anywhere in the list is kept only where it first appears", () => {
    const list = [[A, A], [B, A], [A]];
    expect(parseMetainfo(single({}, { "announce-list": list })).announceTiers).toEqual([[A], [B]]);
  });

  test("an announce-list with no URL falls back to announce", () => {
    expect(parseMetainfo(single({}, { announce: A, "announce-list": [[], [""]] })).announceTiers).toEqual([[A]]);
  });

  test("no trackers at all gives no tiers (trackerless: DHT or given peers)", () => {
    expect(parseMetainfo(single({}, { announce: "" })).announceTiers).toEqual([]);
  });

  test("announce must be a UTF-8 string", () => {
    expectRefused(single({}, { announce: 5 }), "announce", /expected a string, got the integer 5/);
    expectRefused(single({}, { announce: [A] }), "announce", /got a list of 1/);
    expectRefused(single({}, { announce: INVALID_UTF8 }), "announce", /expected UTF-8 text/);
  });

  test("announce-list must be a list of lists of strings", () => {
    expectRefused(single({}, { "announce-list": A }), "announce-list", /expected a list of tiers, got a 30-byte string/);
    expectRefused(single({}, { "announce-list": [[A], B] }), "announce-list[1]", /expected a list of URLs, got a 20-byte string/);
    expectRefused(single({}, { "announce-list": [[A, 7]] }), "announce-list[0][1]", /expected a string, got the integer 7/);
    expectRefused(single({}, { "announce-list": [[INVALID_UTF8]] }), "announce-list[0][0]", /expected UTF-8 text/);
  });
});

describe("parseMetainfo: private flag (BEP 27)", () => {
  test("1 is private; 0 and absent are public", () => {
    expect(parseMetainfo(makeTorrentBytes({ ...SINGLE, private: true }).torrentBytes).private).toBe(true);
    expect(parseMetainfo(single({ private: 0 })).private).toBe(false);
    expect(parseMetainfo(single()).private).toBe(false);
  });

  test("the flag is part of the info dict, so it changes the infoHash", () => {
    expect(parseMetainfo(single({ private: 1 })).infoHashHex).not.toBe(parseMetainfo(single()).infoHashHex);
  });

  test("a private flag at the top level (outside info) is not honoured", () => {
    expect(parseMetainfo(single({}, { private: 1 })).private).toBe(false);
  });

  test("anything but 0 or 1 is refused", () => {
    expectRefused(single({ private: 2 }), "info.private", /expected 0 or 1, got the integer 2/);
    expectRefused(single({ private: "1" }), "info.private", /got a 1-byte string/);
  });
});

describe("parseMetainfo: optional fields", () => {
  test("url-list (BEP 19) as a single string", () => {
    expect(parseMetainfo(single({}, { "url-list": "http://127.0.0.1/seed/" })).urlList).toEqual(["http://127.0.0.1/seed/"]);
  });

  test("url-list as a list skips invalid entries and repeats", () => {
    const list = ["http://127.0.0.1/a", 5, INVALID_UTF8, "", ["x"], "http://127.0.0.1/b", "http://127.0.0.1/a"];
    expect(parseMetainfo(single({}, { "url-list": list })).urlList).toEqual(["http://127.0.0.1/a", "http://127.0.0.1/b"]);
  });

  test("a url-list of the wrong type is ignored", () => {
    expect(parseMetainfo(single({}, { "url-list": 5 })).urlList).toEqual([]);
  });

  test("comment, created by and creation date are read when well-formed", () => {
    const meta = parseMetainfo(single({}, { comment: "hello", "created by": "tool 1.0", "creation date": 1_700_000_000 }));
    expect(meta.comment).toBe("hello");
    expect(meta.createdBy).toBe("tool 1.0");
    expect(meta.creationDate).toBe(1_700_000_000);
  });

  test("comment.utf-8 wins over comment", () => {
    expect(parseMetainfo(single({}, { comment: INVALID_UTF8, "comment.utf-8": "grüße" })).comment).toBe("grüße");
  });

  test("malformed informational fields are left out instead of failing the torrent", () => {
    const meta = parseMetainfo(single({}, { comment: INVALID_UTF8, "created by": 3, "creation date": "yesterday" }));
    expect(meta.comment).toBeUndefined();
    expect(meta.createdBy).toBeUndefined();
    expect(meta.creationDate).toBeUndefined();
    expect("comment" in meta).toBe(false);
  });

  test("text fields are UTF-8", () => {
    const meta = parseMetainfo(single({}, { comment: utf8("日本語") }));
    expect(meta.comment).toBe("日本語");
  });
});

describe("parseInfoDictionary (metadata fetched from peers, BEP 9)", () => {
  /** parseInfoDictionary's MetainfoError for `info`, or a failure when it parses. */
  function infoError(info: Uint8Array): MetainfoError {
    try {
      parseInfoDictionary(info);
    } catch (err) {
      if (err instanceof MetainfoError) return err;
      throw err;
    }
    throw new Error("expected parseInfoDictionary to refuse the info dict, but it parsed");
  }

  test("gives the same info fields as parseMetainfo, with infoHash = sha1(infoBytes)", () => {
    for (const bytes of [single(), multi(), makeTorrentBytes({ ...SINGLE, private: true }).torrentBytes]) {
      const info = rawInfo(bytes);
      const fromInfo = parseInfoDictionary(info);
      const { announceTiers, urlList, comment, createdBy, creationDate, ...infoFields } = parseMetainfo(bytes);
      expect(fromInfo).toEqual({ ...infoFields, announceTiers: [], urlList: [] });
      expect(fromInfo.infoHash).toEqual(sha1(info));
      expect(fromInfo.infoHashHex).toBe(toHex(sha1(info)));
    }
  });

  test("hashes the bytes as given, unsorted keys included", () => {
    const pieces = pieceHashes(new Uint8Array(5), 16);
    const info = Uint8Array.from(`d4:name1:x6:lengthi5e12:piece lengthi16e6:pieces20:${String.fromCharCode(...pieces)}e`, (c) => c.charCodeAt(0));
    expect(parseInfoDictionary(info).infoHash).toEqual(sha1(info));
  });

  test("infoBytes and pieceHashes are copies", () => {
    const info = rawInfo(single()).slice();
    const meta = parseInfoDictionary(info);
    const before = { info: meta.infoBytes.slice(), pieces: meta.pieceHashes.slice() };
    info.fill(0);
    expect(meta.infoBytes).toEqual(before.info);
    expect(meta.pieceHashes).toEqual(before.pieces);
  });

  const broken: [string, Uint8Array][] = [
    ["missing name", single({ name: undefined })],
    ["name with a slash", single({ name: "a/b" })],
    ["name ..", single({ name: ".." })],
    ["invalid UTF-8 name", single({ name: INVALID_UTF8 })],
    ["zero piece length", single({ "piece length": 0 })],
    ["piece length above 256 MiB", single({ "piece length": MAX_PIECE_LENGTH * 2 })],
    ["missing pieces", single({ pieces: undefined })],
    ["too few hashes", single({ pieces: new Uint8Array(40) })],
    ["length and files", multi({ length: 40 })],
    ["neither length nor files", single({ length: undefined })],
    ["negative length", single({ length: -1 })],
    ["a file entry that is not a dict", multi({ files: [{ length: 40, path: ["a"] }, "b"] })],
    ["a file path escaping with ..", multi({ files: [{ length: 40, path: ["..", "x"] }] })],
    ["two files at one path", multi({ files: [{ length: 20, path: ["a"] }, { length: 20, path: ["a"] }] })],
    ["private 2", single({ private: 2 })],
    ["no data", makeTorrentBytes({ name: "empty", pieceLength: 16, data: new Uint8Array(0) }).torrentBytes],
    ["a v2 file without pieces root", encodeBencode({ info: { "meta version": 2, name: "x", "piece length": 16384, "file tree": { x: { "": { length: 1 } } } } })],
  ];
  for (const [what, torrent] of broken) {
    test(`refuses ${what} with the same field and message as parseMetainfo`, () => {
      const expected = metainfoError(torrent);
      const err = infoError(rawInfo(torrent));
      expect({ field: err.field, message: err.message }).toEqual({ field: expected.field, message: expected.message });
    });
  }

  test("refuses a value that is not a dictionary, naming info", () => {
    const err = infoError(encodeBencode(["x"]));
    expect(err.field).toBe("info");
    expect(err.message).toBe("info: expected a dictionary, got a list of 1");
  });

  test("malformed bencode and trailing bytes are BencodeErrors", () => {
    const info = rawInfo(single());
    expect(() => parseInfoDictionary(info.subarray(0, info.length - 1))).toThrow(BencodeError);
    expect(() => parseInfoDictionary(new Uint8Array([...info, 0x65]))).toThrow(/1 trailing bytes/);
  });

  test("extras: trackers as tiers (trimmed, blanks and repeats dropped) and web seeds", () => {
    const A = "http://127.0.0.1:6969/announce";
    const B = "udp://127.0.0.1:1337";
    const meta = parseInfoDictionary(rawInfo(single()), {
      announceTiers: [[A], [], [" ", B, A], [B]],
      urlList: ["http://127.0.0.1/seed/", " ", "http://127.0.0.1/seed/"],
    });
    expect(meta.announceTiers).toEqual([[A], [B]]);
    expect(meta.urlList).toEqual(["http://127.0.0.1/seed/"]);
  });

  test("extras.name is used only when the info dict has no name, and is checked like one", () => {
    expect(parseInfoDictionary(rawInfo(single()), { name: "from-dn" }).name).toBe("single.bin");
    const nameless = rawInfo(single({ name: undefined }));
    const meta = parseInfoDictionary(nameless, { name: "from-dn" });
    expect(meta.name).toBe("from-dn");
    expect(meta.files[0]!.path).toEqual(["from-dn"]);
    expect(meta.infoHash).toEqual(sha1(nameless));
    expect(() => parseInfoDictionary(nameless, { name: "../x" })).toThrow(/^info\.name: path component "\.\.\/x" contains a slash$/);
  });
});
