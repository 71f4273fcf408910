import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./process.ts";
import { makeTorrentBytes, makeTorrentFixture, patternBytes, writeFixtureFiles } from "./torrent-fixture.ts";

const readBytes = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

describe("patternBytes", () => {
  test("is deterministic per seed and differs between seeds", () => {
    expect(patternBytes(64, 1)).toEqual(patternBytes(64, 1));
    expect(patternBytes(64, 1)).not.toEqual(patternBytes(64, 2));
    expect(patternBytes(10, 1)).toEqual(patternBytes(64, 1).subarray(0, 10));
  });

  test("contains NUL bytes and a spread of other values", () => {
    for (const seed of [0, 1, 2, 3, 99]) {
      const bytes = patternBytes(256, seed);
      expect(bytes.includes(0)).toBe(true);
      expect(new Set(bytes).size).toBeGreaterThan(100);
    }
  });
});

describe("makeTorrentFixture", () => {
  test("concatenates files in torrent order, pad files included", () => {
    const fx = makeTorrentFixture({
      name: "m",
      pieceLength: 16,
      files: [
        { path: ["a"], data: new Uint8Array([1, 2]) },
        { path: [".pad", "2"], data: new Uint8Array(2), pad: true },
        { path: ["b"], data: new Uint8Array([3]) },
      ],
    });
    expect(fx.data).toEqual(new Uint8Array([1, 2, 0, 0, 3]));
    expect(fx.meta.totalLength).toBe(5);
  });

  test("a single-file fixture lists one file named after the torrent", () => {
    const fx = makeTorrentFixture({ name: "one.bin", pieceLength: 16, data: patternBytes(3, 1), announce: "http://127.0.0.1/a" });
    expect(fx.files).toEqual([{ path: ["one.bin"], data: patternBytes(3, 1) }]);
    expect(fx.meta.announceTiers).toEqual([["http://127.0.0.1/a"]]);
  });

  test("needs exactly one of data and files", () => {
    expect(() => makeTorrentBytes({ name: "x", pieceLength: 16 })).toThrow(/exactly one of `data`/);
    expect(() => makeTorrentBytes({ name: "x", pieceLength: 16, data: new Uint8Array(1), files: [] })).toThrow(/exactly one/);
  });
});

describe("writeFixtureFiles", () => {
  test("a single-file torrent is written to dir/name", async () => {
    await using dir = await tempDir();
    const fx = makeTorrentFixture({ name: "one.bin", pieceLength: 16, data: patternBytes(40, 1) });
    await writeFixtureFiles(fx, dir.path);
    expect(readBytes(join(dir.path, "one.bin"))).toEqual(fx.data);
  });

  test("a multi-file torrent is written to dir/name/path..., empty files created, pad files skipped", async () => {
    await using dir = await tempDir();
    const fx = makeTorrentFixture({
      name: "m",
      pieceLength: 16,
      files: [
        { path: ["empty"], data: new Uint8Array(0) },
        { path: ["a", "b", "c.bin"], data: patternBytes(10, 1) },
        { path: [".pad", "6"], data: new Uint8Array(6), pad: true },
        { path: ["d.bin"], data: patternBytes(5, 2) },
      ],
    });
    await writeFixtureFiles(fx, dir.path);
    expect(readFileSync(join(dir.path, "m", "empty")).length).toBe(0);
    expect(readBytes(join(dir.path, "m", "a", "b", "c.bin"))).toEqual(patternBytes(10, 1));
    expect(readBytes(join(dir.path, "m", "d.bin"))).toEqual(patternBytes(5, 2));
    expect(existsSync(join(dir.path, "m", ".pad"))).toBe(false);
  });
});
