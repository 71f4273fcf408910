// Walking and hashing the files of a torrent being created (src/storage/create-files.ts): mktorrent's
// order, hidden files, symbolic links, special and unreadable files, pieces spanning files, progress.

import { describe, expect, test } from "bun:test";
import { chmod, mkdir, symlink, truncate, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { HASH_READ_BYTES, hashSourceFiles, listSourceFiles } from "../../src/storage/index.ts";
import { createSha1Pool, sha1Runs, type Sha1Pool } from "../../src/util/index.ts";
import { StorageError, concatBytes } from "../../src/util/index.ts";
import { hasBinary, tempDir } from "../helpers/process.ts";
import { patternBytes, pieceHashes } from "../helpers/torrent-fixture.ts";

const IS_ROOT = process.getuid?.() === 0;

/** Writes `files` (relative path -> bytes or text) under `root`. */
async function writeTree(root: string, files: Record<string, Uint8Array | string>): Promise<void> {
  for (const [path, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
  }
}

async function storageError(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof StorageError) return err;
    throw err;
  }
  throw new Error("expected a StorageError");
}

/**
 * The order mktorrent 1.1 printed (`mktorrent -v`) and wrote for this very tree: strcmp of the whole
 * relative path, so "a b/x" < "a-b/x" < "a.txt" < "a/x" and upper case before lower case.
 */
const MKTORRENT_ORDER = [
  ".hidden",
  ".hiddendir/in",
  "10/n",
  "9/n",
  "A.txt",
  "B/y",
  "Z z",
  "a b/x",
  "a-b/x",
  "a.txt",
  "a/x",
  "b.txt",
  "empty",
  "file10",
  "file2",
  "link-to-dir/deeper/f",
  "link-to-file",
  "sub/deeper/f",
  "u.txt",
  "v.txt",
  "ü.txt",
];

describe("listSourceFiles", () => {
  test("orders a directory as mktorrent does, with hidden files, followed links and empty files", async () => {
    await using work = await tempDir();
    const root = join(work.path, "tree");
    const plain = MKTORRENT_ORDER.filter((p) => !p.startsWith("link-") && p !== "empty");
    await writeTree(root, Object.fromEntries(plain.map((p, i) => [p, "x".repeat(i + 1)])));
    await writeFile(join(root, "empty"), "");
    await mkdir(join(root, "empty-dir", "nested"), { recursive: true });
    await symlink("a.txt", join(root, "link-to-file"));
    await symlink("sub", join(root, "link-to-dir"));

    const tree = await listSourceFiles(root);
    expect(tree.name).toBe("tree");
    expect(tree.multiFile).toBe(true);
    expect(tree.files.map((f) => f.path.join("/"))).toEqual(MKTORRENT_ORDER);
    const byPath = new Map(tree.files.map((f) => [f.path.join("/"), f]));
    expect(byPath.get("empty")!.lengthBytes).toBe(0);
    expect(byPath.get("link-to-file")!.lengthBytes).toBe(byPath.get("a.txt")!.lengthBytes);
    expect(byPath.get("sub/deeper/f")!.diskPath).toBe(join(root, "sub", "deeper", "f"));
    expect(tree.totalBytes).toBe(tree.files.reduce((n, f) => n + f.lengthBytes, 0));
    expect(tree.skipped).toEqual([]);
  });

  test("a single file: its base name, not multi-file; a link to a file is followed", async () => {
    await using work = await tempDir();
    await writeFile(join(work.path, "one.bin"), patternBytes(1000, 1));
    await symlink("one.bin", join(work.path, "alias.bin"));
    const one = await listSourceFiles(join(work.path, "one.bin"));
    expect(one).toMatchObject({ name: "one.bin", multiFile: false, totalBytes: 1000, skipped: [] });
    expect(one.files).toEqual([{ path: ["one.bin"], diskPath: join(work.path, "one.bin"), lengthBytes: 1000 }]);
    const alias = await listSourceFiles(join(work.path, "alias.bin"));
    expect(alias).toMatchObject({ name: "alias.bin", multiFile: false, totalBytes: 1000 });
  });

  test("a directory holding only empty directories lists nothing; the trailing slash does not matter", async () => {
    await using work = await tempDir();
    await mkdir(join(work.path, "hollow", "a", "b"), { recursive: true });
    const tree = await listSourceFiles(join(work.path, "hollow") + "/");
    expect(tree).toMatchObject({ name: "hollow", multiFile: true, files: [], totalBytes: 0 });
  });

  test.skipIf(!hasBinary("mkfifo"))("FIFOs are skipped and reported, never opened", async () => {
    await using work = await tempDir();
    await writeTree(work.path, { "d/file": "data" });
    Bun.spawnSync(["mkfifo", join(work.path, "d", "pipe")]);
    const tree = await listSourceFiles(join(work.path, "d"));
    expect(tree.files.map((f) => f.path.join("/"))).toEqual(["file"]);
    expect(tree.skipped).toEqual([join(work.path, "d", "pipe")]);
  });

  test("`exclude` leaves out one file, matched by inode (e.g. the .torrent being overwritten)", async () => {
    await using work = await tempDir();
    await writeTree(work.path, { "d/a": "a", "d/out.torrent": "old" });
    await symlink(join(work.path, "d", "out.torrent"), join(work.path, "via-link.torrent"));
    const tree = await listSourceFiles(join(work.path, "d"), { exclude: join(work.path, "via-link.torrent") });
    expect(tree.files.map((f) => f.path.join("/"))).toEqual(["a"]);
    const missing = await listSourceFiles(join(work.path, "d"), { exclude: join(work.path, "nope.torrent") });
    expect(missing.files).toHaveLength(2);
  });

  test("a missing target, a broken link and a link loop are StorageErrors naming the path", async () => {
    await using work = await tempDir();
    expect((await storageError(listSourceFiles(join(work.path, "nope")))).message).toBe(`cannot read ${join(work.path, "nope")}: no such file or directory`);

    await writeTree(work.path, { "broken/ok": "x" });
    await symlink("gone", join(work.path, "broken", "dangling"));
    expect((await storageError(listSourceFiles(join(work.path, "broken")))).message).toBe(`cannot read ${join(work.path, "broken", "dangling")}: broken symbolic link`);

    await writeTree(work.path, { "loop/d/f": "x" });
    await symlink("..", join(work.path, "loop", "d", "up"));
    expect((await storageError(listSourceFiles(join(work.path, "loop")))).message).toBe(
      `cannot add ${join(work.path, "loop", "d", "up")}: symbolic link loop back to ${join(work.path, "loop")}`,
    );
  });

  test("a name that is not UTF-8 is refused (torrent paths are UTF-8 text)", async () => {
    await using work = await tempDir();
    await mkdir(join(work.path, "d"));
    await writeFile(Buffer.concat([Buffer.from(join(work.path, "d") + "/bad"), Buffer.from([0xff])]), "x");
    expect((await storageError(listSourceFiles(join(work.path, "d")))).message).toMatch(/^cannot add .*\/d\/bad\uFFFD: its name is not valid UTF-8/);
  });

  test.skipIf(IS_ROOT)("an unreadable file or directory is an error, not silently left out (mktorrent skips it)", async () => {
    await using work = await tempDir();
    await writeTree(work.path, { "d/locked": "secret", "e/sub/f": "x" });
    await chmod(join(work.path, "d", "locked"), 0o000);
    expect((await storageError(listSourceFiles(join(work.path, "d")))).message).toBe(`cannot read ${join(work.path, "d", "locked")}: permission denied`);
    await chmod(join(work.path, "e", "sub"), 0o000);
    const err = await storageError(listSourceFiles(join(work.path, "e")));
    await chmod(join(work.path, "e", "sub"), 0o755);
    expect(err.message).toBe(`cannot read ${join(work.path, "e", "sub")}: permission denied`);
  });
});

describe("hashSourceFiles", () => {
  /** Files with empty ones between, pieces spanning file boundaries, and more than two read buffers in all. */
  const PARTS = [patternBytes(5_000, 1), new Uint8Array(0), patternBytes(3, 2), patternBytes(HASH_READ_BYTES + 12_345, 3), new Uint8Array(0), patternBytes(2 * HASH_READ_BYTES + 7, 4)];

  async function writeParts(root: string) {
    await writeTree(root, Object.fromEntries(PARTS.map((data, i) => [`f${i}`, data])));
    return (await listSourceFiles(root)).files;
  }

  test.each([16_384, 5_000, 262_144, HASH_READ_BYTES, 8 * 1024 * 1024, 2 * HASH_READ_BYTES + 1])(
    "piece length %d: the same hashes as hashing the concatenated data",
    async (pieceLength) => {
      await using work = await tempDir();
      const files = await writeParts(join(work.path, "t"));
      expect(await hashSourceFiles(files, pieceLength)).toEqual(pieceHashes(concatBytes(PARTS), pieceLength));
    },
  );

  test("progress reports bytes hashed so far, rising to the total", async () => {
    await using work = await tempDir();
    const files = await writeParts(join(work.path, "t"));
    const seen: number[] = [];
    await hashSourceFiles(files, 16_384, { onProgress: (n) => seen.push(n) });
    const total = PARTS.reduce((n, p) => n + p.length, 0);
    expect(seen.at(-1)).toBe(total);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.length).toBe(Math.ceil(total / HASH_READ_BYTES));
  });

  test("only empty files: no pieces, nothing opened", async () => {
    expect(await hashSourceFiles([{ path: ["e"], diskPath: "/nonexistent/e", lengthBytes: 0 }], 16_384)).toEqual(new Uint8Array(0));
  });

  test("a hashing job that fails fails the whole hash, whichever job it is (no digest left as zeros)", async () => {
    await using work = await tempDir();
    const files = await writeParts(join(work.path, "t"));
    for (const failing of [0, 1, 2]) {
      let calls = 0;
      const inline = createSha1Pool(0);
      const pool: Sha1Pool = {
        threads: 2,
        hashRuns: async (data, pieceLength) => sha1Runs(data, pieceLength),
        hashFileRuns: async (spans, pieceLength) => {
          if (calls++ === failing) throw new Error(`worker died on job ${failing}`);
          return inline.hashFileRuns(spans, pieceLength);
        },
        start: () => {},
        close: () => {},
      };
      await expect(hashSourceFiles(files, 16_384, { pool })).rejects.toThrow(`worker died on job ${failing}`);
    }
  });

  test("an abort between buffers rejects with the signal's reason", async () => {
    await using work = await tempDir();
    const files = await writeParts(join(work.path, "t"));
    const abort = new AbortController();
    const reason = new Error("stop");
    const hashing = hashSourceFiles(files, 16_384, { signal: abort.signal, onProgress: () => abort.abort(reason) });
    await expect(hashing).rejects.toBe(reason);
  });

  test("a file that changed size or vanished since it was listed is a StorageError", async () => {
    await using work = await tempDir();
    const files = await writeParts(join(work.path, "t"));
    await truncate(files[3]!.diskPath, 100);
    expect((await storageError(hashSourceFiles(files, 16_384))).message).toBe(
      `cannot read ${files[3]!.diskPath}: it changed while the torrent was being made (listed with ${PARTS[3]!.length} bytes, now 100)`,
    );
    await Bun.file(files[0]!.diskPath).delete();
    expect((await storageError(hashSourceFiles(files, 16_384))).message).toBe(`cannot read ${files[0]!.diskPath}: no such file or directory`);
  });
});
