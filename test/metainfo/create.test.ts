// Torrent creation (src/metainfo/create.ts): golden bytes, BEP 12 tiers, BEP 19 web seeds, BEP 27
// private, creation date, the auto piece length rule, option parsing, round trips through parseMetainfo.

import { describe, expect, test } from "bun:test";
import {
  AUTO_MAX_PIECE_LENGTH,
  CREATED_BY,
  type CreateTorrentOptions,
  autoPieceLength,
  buildInfo,
  encodeTorrent,
  parseMetainfo,
  parsePieceLength,
  parseTrackerTiers,
  parseWebSeeds,
} from "../../src/metainfo/index.ts";
import { MetainfoError, RippleError, decodeUtf8, sha1, toHex } from "../../src/util/index.ts";
import { VERSION } from "../../src/version.ts";
import { makeTorrentFixture, patternBytes, pieceHashes } from "../helpers/torrent-fixture.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** 40 000 bytes in 16 KiB pieces: two full pieces and a short one. */
const DATA = patternBytes(40_000, 5);
const SINGLE: CreateTorrentOptions = {
  name: "single.bin",
  multiFile: false,
  files: [{ path: ["ignored"], lengthBytes: DATA.length }],
  pieceLength: 16 * KiB,
  pieceHashes: pieceHashes(DATA, 16 * KiB),
};
const MULTI_FILES = [
  { path: ["a.bin"], data: patternBytes(10_000, 6) },
  { path: ["dir", "empty"], data: new Uint8Array(0) },
  { path: ["dir", "sub", "b.bin"], data: patternBytes(30_000, 7) },
];
const MULTI: CreateTorrentOptions = {
  name: "multi",
  multiFile: true,
  files: MULTI_FILES.map((f) => ({ path: f.path, lengthBytes: f.data.length })),
  pieceLength: 16 * KiB,
  pieceHashes: pieceHashes(new Uint8Array(MULTI_FILES.flatMap((f) => [...f.data])), 16 * KiB),
};

function usageError(fn: () => unknown): RippleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RippleError && err.code === "USAGE") return err;
    throw err;
  }
  throw new Error("expected a usage error");
}

function metainfoError(fn: () => unknown): MetainfoError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MetainfoError) return err;
    throw err;
  }
  throw new Error("expected a MetainfoError");
}

describe("encodeTorrent", () => {
  test("golden bytes of a minimal single-file torrent without a date", () => {
    const hashes = new Uint8Array(20).fill(0x61);
    const bytes = encodeTorrent({ name: "x", multiFile: false, files: [{ path: ["x"], lengthBytes: 5 }], pieceLength: 16 * KiB, pieceHashes: hashes, trackerTiers: [["http://t/a"]] });
    const created = `ripple/${VERSION}`;
    expect(decodeUtf8(bytes)).toBe(
      `d8:announce10:http://t/a10:created by${created.length}:${created}` +
        `4:infod6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces20:${"a".repeat(20)}ee`,
    );
  });

  test("round trip: a single-file torrent parses back with the same geometry, and matches the test fixture's infoHash", () => {
    const meta = parseMetainfo(encodeTorrent(SINGLE));
    expect(meta).toMatchObject({ name: "single.bin", multiFile: false, pieceLength: 16 * KiB, pieceCount: 3, totalLength: 40_000, createdBy: CREATED_BY });
    expect(meta.files).toEqual([{ path: ["single.bin"], lengthBytes: 40_000, offsetBytes: 0, isPad: false }]);
    expect(meta.pieceHashes).toEqual(SINGLE.pieceHashes);
    expect(meta.infoHashHex).toBe(makeTorrentFixture({ name: "single.bin", pieceLength: 16 * KiB, data: DATA }).meta.infoHashHex);
  });

  test("round trip: a multi-file torrent keeps file order, empty files and nested paths", () => {
    const meta = parseMetainfo(encodeTorrent(MULTI));
    expect(meta.multiFile).toBe(true);
    expect(meta.files).toEqual([
      { path: ["a.bin"], lengthBytes: 10_000, offsetBytes: 0, isPad: false },
      { path: ["dir", "empty"], lengthBytes: 0, offsetBytes: 10_000, isPad: false },
      { path: ["dir", "sub", "b.bin"], lengthBytes: 30_000, offsetBytes: 10_000, isPad: false },
    ]);
    expect(meta.infoHashHex).toBe(makeTorrentFixture({ name: "multi", pieceLength: 16 * KiB, files: MULTI_FILES }).meta.infoHashHex);
    expect(meta.infoHashHex).toBe(toHex(sha1(meta.infoBytes)));
  });

  test("a multi-file torrent of one file still gets info.files", () => {
    const meta = parseMetainfo(encodeTorrent({ ...SINGLE, name: "dir", multiFile: true, files: [{ path: ["one.bin"], lengthBytes: DATA.length }] }));
    expect(meta.multiFile).toBe(true);
    expect(meta.files.map((f) => f.path)).toEqual([["one.bin"]]);
  });

  test("one tracker: announce only; more: announce is the first and announce-list holds the tiers (BEP 12)", () => {
    const one = parseMetainfo(encodeTorrent({ ...SINGLE, trackerTiers: [["http://t/1"]] }));
    expect(one.announceTiers).toEqual([["http://t/1"]]);
    expect(decodeUtf8(encodeTorrent({ ...SINGLE, trackerTiers: [["http://t/1"]] }))).not.toContain("announce-list");

    const tiers = [["http://t/1", "http://t/2"], ["udp://t:6969"]];
    const bytes = encodeTorrent({ ...SINGLE, trackerTiers: tiers });
    expect(decodeUtf8(bytes)).toContain("8:announce10:http://t/113:announce-listll10:http://t/110:http://t/2el12:udp://t:6969ee");
    expect(parseMetainfo(bytes).announceTiers).toEqual(tiers);
  });

  test("no tracker: neither announce nor announce-list (a trackerless torrent)", () => {
    const text = decodeUtf8(encodeTorrent(SINGLE));
    expect(text).not.toContain("announce");
    expect(parseMetainfo(encodeTorrent(SINGLE)).announceTiers).toEqual([]);
  });

  test("private goes inside info (BEP 27) and so changes the infoHash; false writes nothing", () => {
    const open = parseMetainfo(encodeTorrent({ ...SINGLE, private: false }));
    const closed = parseMetainfo(encodeTorrent({ ...SINGLE, private: true }));
    expect(open.private).toBe(false);
    expect(closed.private).toBe(true);
    expect(decodeUtf8(closed.infoBytes)).toEndWith("7:privatei1ee");
    expect(decodeUtf8(open.infoBytes)).not.toContain("private");
    expect(closed.infoHashHex).not.toBe(open.infoHashHex);
  });

  test("web seeds go in url-list as a list (BEP 19); comment, created by and creation date outside info", () => {
    const bytes = encodeTorrent({ ...SINGLE, webSeeds: ["http://w/1"], comment: "hi there", createdBy: "someone", creationDate: 1_700_000_000 });
    const meta = parseMetainfo(bytes);
    expect(decodeUtf8(bytes)).toContain("8:url-listl10:http://w/1e");
    expect(meta).toMatchObject({ urlList: ["http://w/1"], comment: "hi there", createdBy: "someone", creationDate: 1_700_000_000 });
    expect(meta.infoHashHex).toBe(parseMetainfo(encodeTorrent(SINGLE)).infoHashHex);
  });

  test("no creation date unless given; an empty comment is left out", () => {
    const text = decodeUtf8(encodeTorrent({ ...SINGLE, comment: "" }));
    expect(text).not.toContain("creation date");
    expect(text).not.toContain("comment");
    expect(() => encodeTorrent({ ...SINGLE, creationDate: 1.5 })).toThrow(/creation date: expected non-negative Unix seconds/);
  });
});

describe("buildInfo refuses content ripple could not parse back", () => {
  test.each([
    ["an unsafe name", { ...SINGLE, name: ".." }, "info.name"],
    ["a name with a slash", { ...SINGLE, name: "a/b" }, "info.name"],
    ["a piece length that is not a power of two", { ...SINGLE, pieceLength: 20_000 }, "info.piece length"],
    ["a piece length below 16 KiB", { ...SINGLE, pieceLength: 8 * KiB }, "info.piece length"],
    ["too few piece hashes", { ...SINGLE, pieceHashes: new Uint8Array(40) }, "info.pieces"],
    ["no data at all", { ...MULTI, files: [{ path: ["e"], lengthBytes: 0 }], pieceHashes: new Uint8Array(0) }, "info"],
    ["a single-file torrent of two files", { ...MULTI, multiFile: false }, "info.length"],
    ["a multi-file torrent of no files", { ...MULTI, files: [] }, "info.files"],
    ["an empty path component", { ...MULTI, files: [{ path: ["dir", ""], lengthBytes: 40_000 }] }, "info.files[0].path[1]"],
    ["a negative length", { ...MULTI, files: [{ path: ["a"], lengthBytes: -1 }] }, "info.files[0].length"],
  ] as const)("%s", (_, content, field) => {
    const err = metainfoError(() => buildInfo(content));
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });
});

describe("autoPieceLength", () => {
  test.each([
    [0, 16 * KiB],
    [1, 16 * KiB],
    [32 * MiB, 16 * KiB],
    [32 * MiB + 1, 32 * KiB],
    [512 * MiB, 256 * KiB],
    [700 * MiB, 512 * KiB],
    [4_700_000_000, 4 * MiB],
    [32 * GiB, 16 * MiB],
    [1024 * GiB, 16 * MiB],
  ])("%d bytes -> %d", (total, expected) => {
    expect(autoPieceLength(total)).toBe(expected);
  });

  test("between 32 MiB and 32 GiB the piece count stays in 1025..2048", () => {
    for (let total = 32 * MiB + 1; total <= 32 * GiB; total = Math.floor(total * 1.37)) {
      const count = Math.ceil(total / autoPieceLength(total));
      expect(count).toBeGreaterThan(1024);
      expect(count).toBeLessThanOrEqual(2048);
    }
    expect(autoPieceLength(Number.MAX_SAFE_INTEGER)).toBe(AUTO_MAX_PIECE_LENGTH);
  });
});

describe("parsePieceLength", () => {
  test.each([
    ["auto", "auto"],
    ["AUTO", "auto"],
    ["262144", 262144],
    ["16K", 16 * KiB],
    ["256k", 256 * KiB],
    ["256KiB", 256 * KiB],
    ["1M", MiB],
    ["4MiB", 4 * MiB],
    ["256M", 256 * MiB],
  ] as const)("%s", (text, expected) => {
    expect(parsePieceLength(text)).toBe(expected);
  });

  test.each(["", "300K", "8K", "512M", "1G", "abc", "-256K", "1.5M", "256 KB x", "0"])("refuses %p, naming the option", (text) => {
    const err = usageError(() => parsePieceLength(text));
    expect(err.message).toBe(`--piece-length: expected "auto" or a power of two from 16K to 256M (e.g. 256K, 1M, 262144), got "${text}"`);
  });
});

describe("parseTrackerTiers and parseWebSeeds", () => {
  test("one tier per value, commas join a tier (mktorrent -a), duplicates dropped", () => {
    expect(parseTrackerTiers(["http://a/ann", "udp://b:6969,https://c/ann", "http://a/ann"])).toEqual([["http://a/ann"], ["udp://b:6969", "https://c/ann"]]);
    expect(parseTrackerTiers([])).toEqual([]);
  });

  test.each([
    ["ftp://a/ann", /--tracker: expected an http:\/\/, https:\/\/ or udp:\/\/ URL, got "ftp:\/\/a\/ann"/],
    ["tracker.example/announce", /--tracker: expected an http/],
    ["http://", /--tracker: expected an http/],
    ["udp://tracker.example/announce", /--tracker: a udp:\/\/ tracker URL needs a port/],
    ["  ", /--tracker: expected a tracker URL, got an empty value/],
  ])("refuses tracker %p", (value, message) => {
    expect(usageError(() => parseTrackerTiers([value])).message).toMatch(message);
  });

  test("web seeds: http(s) only, duplicates dropped", () => {
    expect(parseWebSeeds(["http://w/1", "https://w/2/", "http://w/1"])).toEqual(["http://w/1", "https://w/2/"]);
    expect(usageError(() => parseWebSeeds(["udp://w:1"])).message).toMatch(/^--web-seed: expected an http:\/\/ or https:\/\/ URL, got "udp:\/\/w:1"$/);
  });
});
