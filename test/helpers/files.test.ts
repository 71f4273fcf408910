// The byte comparisons the download tests rely on must fail when the bytes are wrong: a changed byte, a
// short file, a missing file, a pad file on disk, each named with its path.

import { describe, expect, test } from "bun:test";
import { mkdir, rm, truncate, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { firstDifference, fixtureDiffs, fixturePath } from "./files.ts";
import { tempDir } from "./process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles } from "./torrent-fixture.ts";

const fixture = makeTorrentFixture({
  name: "cmp",
  pieceLength: 16384,
  files: [
    { path: ["a.bin"], data: patternBytes(1000, 1) },
    { path: [".pad", "24"], data: new Uint8Array(24), pad: true },
    { path: ["sub", "b.bin"], data: patternBytes(3000, 2) },
  ],
});

describe("firstDifference", () => {
  test("equal, a changed byte, a prefix", () => {
    expect(firstDifference(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(-1);
    expect(firstDifference(new Uint8Array([1, 2, 3]), new Uint8Array([1, 9, 3]))).toBe(1);
    expect(firstDifference(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(2);
  });
});

describe("fixtureDiffs", () => {
  test("identical files pass; every kind of damage is named", async () => {
    await using work = await tempDir();
    await writeFixtureFiles(fixture, work.path);
    expect(await fixtureDiffs(fixture, work.path)).toEqual([]);

    const a = fixturePath(fixture, work.path, 0);
    const changed = new Uint8Array(fixture.files[0]!.data);
    changed[700]! ^= 1;
    await writeFile(a, changed);
    await truncate(fixturePath(fixture, work.path, 2), 2999);
    const pad = fixturePath(fixture, work.path, 1);
    await mkdir(dirname(pad), { recursive: true });
    await writeFile(pad, new Uint8Array(24));
    expect(await fixtureDiffs(fixture, work.path)).toEqual([
      `differs: ${a}: 1000 bytes, expected 1000; first difference at byte 700`,
      `pad file written: ${pad}`,
      `differs: ${join(work.path, "cmp", "sub", "b.bin")}: 2999 bytes, expected 3000; first difference at byte 2999`,
    ]);
    expect(await fixtureDiffs(fixture, work.path, { only: [2] })).toHaveLength(1);

    await rm(a);
    expect((await fixtureDiffs(fixture, work.path, { only: [0] }))).toEqual([`missing: ${a}`]);
  });
});
