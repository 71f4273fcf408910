import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Metainfo, TorrentFile } from "../../src/metainfo/index.ts";
import { DiskStorage, filePaths, torrentLayout } from "../../src/storage/index.ts";
import { makeTempDirSync } from "../helpers/temp-dir.ts";

/** A multi-file Metainfo (no hashes needed here): pieces of 8 bytes over files a, b (empty), c, pad, d. */
function layout(files: { path: string[]; length: number; pad?: boolean }[], pieceLength = 8, multiFile = true): Metainfo {
  let offset = 0;
  const tf: TorrentFile[] = files.map((f) => {
    const out = { path: f.path, lengthBytes: f.length, offsetBytes: offset, isPad: f.pad ?? false };
    offset += f.length;
    return out;
  });
  const pieceCount = Math.ceil(offset / pieceLength);
  return {
    infoHash: new Uint8Array(20),
    infoHashHex: "00".repeat(20),
    infoBytes: new Uint8Array(),
    name: "t",
    pieceLength,
    pieceHashes: new Uint8Array(20 * pieceCount),
    pieceCount,
    totalLength: offset,
    files: tf,
    multiFile,
    announceTiers: [],
    private: false,
    urlList: [],
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const d = makeTempDirSync("ripple-disk-");
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const bytes = (n: number, start: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

describe("DiskStorage", () => {
  const files = [
    { path: ["a"], length: 5 },
    { path: ["b"], length: 0 },
    { path: ["sub", "c"], length: 10 },
    { path: [".pad", "3"], length: 3, pad: true },
    { path: ["d"], length: 7 },
  ];

  test("writes pieces across file boundaries, skips pad files, creates empty files on finalize", async () => {
    const meta = layout(files);
    const out = tempDir();
    const storage = new DiskStorage(meta, out);
    const all = bytes(25, 1);
    all.fill(0, 15, 18); // pad bytes are zeros
    for (let i = 0; i < meta.pieceCount; i++) {
      await storage.writePiece(i, all.subarray(i * 8, Math.min(25, i * 8 + 8)));
    }
    storage.finalize();
    storage.close();
    const root = join(out, "t");
    expect([...readFileSync(join(root, "a"))]).toEqual([...all.subarray(0, 5)]);
    expect(statSync(join(root, "b")).size).toBe(0);
    expect([...readFileSync(join(root, "sub", "c"))]).toEqual([...all.subarray(5, 15)]);
    expect(existsSync(join(root, ".pad"))).toBe(false);
    expect([...readFileSync(join(root, "d"))]).toEqual([...all.subarray(18, 25)]);
  });

  test("reads back pieces and blocks, with missing files and pad files as zeros", async () => {
    const meta = layout(files);
    const out = tempDir();
    const storage = new DiskStorage(meta, out);
    expect(storage.fileStamps().every((s) => s === undefined)).toBe(true);
    const piece1 = bytes(8, 100);
    await storage.writePiece(1, piece1); // bytes 8..16: end of c, then one pad byte
    expect(storage.fileStamps().map((s) => s?.sizeBytes)).toEqual([undefined, undefined, 10, undefined, undefined]);
    const back = storage.readPiece(1);
    expect([...back.subarray(0, 7)]).toEqual([...piece1.subarray(0, 7)]);
    expect(back[7]).toBe(0); // pad
    // d was never written: a piece to serve must be all there, so that is an error, not zeros.
    expect(() => storage.readPiece(3)).toThrow(/cannot read piece 3: .*t\/d is missing or shorter/);
    const range = new Uint8Array(3);
    await storage.readRange(8 + 2, range);
    expect([...range]).toEqual([...piece1.subarray(2, 5)]);
    const across = new Uint8Array(25);
    await storage.readRange(0, across); // a, b, c, pad, d: only c's last 7 bytes were written
    expect([...across.subarray(8, 15)]).toEqual([...piece1.subarray(0, 7)]);
    expect(across.subarray(0, 8).every((b) => b === 0) && across.subarray(15).every((b) => b === 0)).toBe(true);
    storage.close();
  });

  test("a single-file torrent is written to <out>/<name>", async () => {
    const meta = layout([{ path: ["t"], length: 10 }], 8, false);
    const out = tempDir();
    const storage = new DiskStorage(meta, out);
    await storage.writePiece(0, bytes(8, 0));
    await storage.writePiece(1, bytes(2, 8));
    storage.close();
    expect([...readFileSync(join(out, "t"))]).toEqual([...bytes(10, 0)]);
    expect(filePaths(meta, out)).toEqual([join(out, "t")]);
  });

  test("an unwritable output directory is a StorageError naming the file", async () => {
    const meta = layout([{ path: ["x"], length: 4 }], 8, true);
    const out = tempDir();
    Bun.spawnSync(["sh", "-c", `touch ${join(out, "t")}`]); // a file where the directory should be
    const storage = new DiskStorage(meta, out);
    await expect(storage.writePiece(0, bytes(4, 0))).rejects.toThrow(/cannot open .*t\/x/);
  });
});

describe("torrentLayout", () => {
  test("every path of a torrent under the output directory, absolute, from a relative -o too", () => {
    const meta = layout([{ path: ["sub", "c"], length: 4 }, { path: ["d"], length: 4 }]);
    const out = tempDir();
    const l = torrentLayout(meta, relative(process.cwd(), out));
    expect(l).toEqual({
      outDir: out,
      content: join(out, "t"),
      files: [join(out, "t", "sub", "c"), join(out, "t", "d")],
      resume: join(out, "t.ripple"),
      parts: join(out, "t.ripple-parts"),
    });
    expect(l.files).toEqual(filePaths(meta, out));
  });

  test("a single-file torrent's content is its one file", () => {
    const meta = layout([{ path: ["t"], length: 10 }], 8, false);
    const out = tempDir();
    expect(torrentLayout(meta, out).content).toBe(torrentLayout(meta, out).files[0]!);
  });

  test("DiskStorage keeps the bytes of unselected files in the layout's parts store", async () => {
    // One 8-byte piece over a (selected) and b (not): b's 4 bytes must be kept for the piece's hash.
    const meta = layout([{ path: ["a"], length: 4 }, { path: ["b"], length: 4 }]);
    const out = tempDir();
    const storage = new DiskStorage(meta, out, { selected: [true, false], parts: true });
    expect(storage.layout).toEqual(torrentLayout(meta, out));
    storage.prepare();
    await storage.writePiece(0, bytes(8, 0));
    storage.close();
    expect(existsSync(join(out, "t", "b"))).toBe(false);
    expect(existsSync(storage.layout.parts)).toBe(true);
  });
});
