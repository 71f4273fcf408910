import { describe, expect, test } from "bun:test";
import { planCheck, type FileStamp, type ResumeState } from "../../src/storage/index.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

// Three files of 10, 25 and 5 bytes in pieces of 8: piece 1 spans a/b, piece 4 spans b/c.
const fixture = makeTorrentFixture({
  name: "plan",
  pieceLength: 8,
  files: [
    { path: ["a"], data: patternBytes(10, 1) },
    { path: ["b"], data: patternBytes(25, 2) },
    { path: ["c"], data: patternBytes(5, 3) },
  ],
});
const meta = fixture.meta; // 40 bytes, 5 pieces
const full: FileStamp[] = [
  { sizeBytes: 10, mtimeMs: 100 },
  { sizeBytes: 25, mtimeMs: 200 },
  { sizeBytes: 5, mtimeMs: 300 },
];
const all = Uint8Array.from([0b1111_1000]);
const resume = (have: Uint8Array, files: FileStamp[] = full): ResumeState => ({ infoHash: meta.infoHash, pieceCount: 5, have, files, savedAtMs: 0 });

describe("planCheck", () => {
  test("without a resume file, every piece with bytes on disk is hashed", () => {
    expect(planCheck(meta, full, undefined)).toMatchObject({ trusted: [], toCheck: [0, 1, 2, 3, 4], reason: "no resume file" });
  });

  test("nothing on disk: nothing to hash", () => {
    expect(planCheck(meta, [undefined, undefined, undefined], undefined)).toMatchObject({ trusted: [], toCheck: [] });
  });

  test("a short file: pieces past its end are not read", () => {
    // a has 3 of its 10 bytes; b and c are missing: only piece 0 holds data.
    expect(planCheck(meta, [{ sizeBytes: 3, mtimeMs: 1 }, undefined, undefined], undefined).toCheck).toEqual([0]);
  });

  test("a matching resume file is trusted as it is: nothing is hashed", () => {
    const plan = planCheck(meta, full, resume(Uint8Array.from([0b1011_0000])));
    expect(plan).toEqual({ trusted: [0, 2, 3], toCheck: [] });
  });

  test("a changed file: only the pieces touching it are hashed, the rest trusted", () => {
    const now = [full[0], { sizeBytes: 25, mtimeMs: 999 }, full[2]];
    const plan = planCheck(meta, now, resume(all));
    expect(plan.trusted).toEqual([0]);
    expect(plan.toCheck).toEqual([1, 2, 3, 4]);
    expect(plan.reason).toBe("1 file(s) changed since the resume file was written");
  });

  test("a file that vanished: its pieces are not trusted, and read only where another file has bytes", () => {
    // c (bytes 35..39) is gone: piece 4 also holds the end of b, so it is hashed (and will fail).
    const now = [full[0], full[1], undefined];
    expect(planCheck(meta, now, resume(all))).toMatchObject({ trusted: [0, 1, 2, 3], toCheck: [4] });
  });

  test("an unusable resume file is reported with its problem", () => {
    expect(planCheck(meta, full, undefined, "resume file is corrupt: x").reason).toBe("resume file is corrupt: x");
  });
});
