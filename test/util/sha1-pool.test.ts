import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ReadSpanError, createSha1Pool, sha1Runs, type ReadSpan } from "../../src/util/index.ts";
import { tempDir } from "../helpers/temp-dir.ts";
import { patternBytes } from "../helpers/torrent-fixture.ts";

describe("Sha1Pool.hashFileRuns", () => {
  test.each([0, 2])("%d workers: spans across two files hash as their bytes back to back; a changed file rejects naming it", async (threads) => {
    await using work = await tempDir();
    const a = patternBytes(300_000, 1);
    const b = patternBytes(200_000, 2);
    await Bun.write(join(work.path, "a"), a);
    await Bun.write(join(work.path, "b"), b);
    const spans: ReadSpan[] = [
      { path: join(work.path, "a"), offset: 100_000, length: 200_000, size: a.length, file: 0 },
      { path: join(work.path, "b"), offset: 0, length: 150_000, size: b.length, file: 1 },
    ];
    const pool = createSha1Pool(threads);
    pool.start();
    try {
      const expected = sha1Runs(new Uint8Array([...a.subarray(100_000), ...b.subarray(0, 150_000)]), 65_536);
      expect(await pool.hashFileRuns(spans, 65_536)).toEqual(expected);
      const shrunk = [spans[0]!, { ...spans[1]!, size: b.length + 1 }];
      const error = await pool.hashFileRuns(shrunk, 65_536).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReadSpanError);
      expect(error).toMatchObject({ file: 1, size: b.length });
      const missing = await pool.hashFileRuns([{ ...spans[0]!, path: join(work.path, "gone") }], 65_536).catch((e: unknown) => e);
      expect(missing).toMatchObject({ file: 0, code: "ENOENT" });
    } finally {
      pool.close();
    }
  });
});
