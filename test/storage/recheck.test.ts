import { afterEach, describe, expect, test } from "bun:test";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DiskStorage, RECHECK_BATCH_BYTES, recheckPieces } from "../../src/storage/index.ts";
import { tempDir, type TempDir } from "../helpers/process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles } from "../helpers/torrent-fixture.ts";

const dirs: TempDir[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove();
});

describe("recheckPieces", () => {
  test("finds exactly the corrupted pieces, across batch and file boundaries", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const pieceLength = 64 * 1024;
    // More than two batches of pieces, over two files, with a short last piece.
    const sizeA = RECHECK_BATCH_BYTES + 5 * pieceLength + 123;
    const fixture = makeTorrentFixture({
      name: "rc",
      pieceLength,
      files: [
        { path: ["a.bin"], data: patternBytes(sizeA, 1) },
        { path: ["b.bin"], data: patternBytes(RECHECK_BATCH_BYTES + 777, 2) },
      ],
    });
    await writeFixtureFiles(fixture, dir.path);
    const flip = async (file: string, offsets: number[]) => {
      const path = join(dir.path, "rc", file);
      const bytes = new Uint8Array(await readFile(path));
      for (const o of offsets) bytes[o]! ^= 0x5a;
      await writeFile(path, bytes);
    };
    await flip("a.bin", [0, 3 * pieceLength + 10, sizeA - 1]); // pieces 0, 3 and the one spanning a/b
    await flip("b.bin", [RECHECK_BATCH_BYTES + 700]); // the short last piece
    const boundary = Math.floor((sizeA - 1) / pieceLength);
    const last = fixture.meta.pieceCount - 1;
    const storage = new DiskStorage(fixture.meta, dir.path);
    const all = [...Array(fixture.meta.pieceCount).keys()];
    const progress: number[] = [];
    const good = await recheckPieces(storage, fixture.meta, all, { onProgress: (n) => progress.push(n) });
    storage.close();
    expect(all.filter((i) => !good.includes(i))).toEqual([0, 3, boundary, last]);
    expect(progress.at(-1)).toBe(fixture.meta.pieceCount);
    expect(progress.length).toBeGreaterThan(2); // reported batch by batch
  });

  test("a subset of pieces, and pieces over missing files read as zeros (bad)", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const fixture = makeTorrentFixture({ name: "sub.bin", pieceLength: 16384, data: patternBytes(10 * 16384, 3) });
    const storage = new DiskStorage(fixture.meta, dir.path);
    expect(await recheckPieces(storage, fixture.meta, [1, 2, 7])).toEqual([]);
    await writeFixtureFiles(fixture, dir.path);
    expect(await recheckPieces(storage, fixture.meta, [1, 2, 7])).toEqual([1, 2, 7]);
    storage.close();
  });
});
