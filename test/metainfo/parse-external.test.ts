import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Metainfo, parseMetainfo, pieceHash, pieceLengthAt } from "../../src/metainfo/index.ts";
import { concatBytes, sha1, toHex, utf8 } from "../../src/util/index.ts";
import { bdecode, isDict } from "../helpers/mini-bencode.ts";
import { missingBinaries, requireBinary, tempDir } from "../helpers/process.ts";
import { type FixtureFile, makeTorrentFixture, patternBytes, writeFixtureFiles } from "../helpers/torrent-fixture.ts";

/** SHA-1 of the `info` value located by the independent test decoder. */
function independentInfoHash(torrent: Uint8Array): string {
  const top = bdecode(torrent);
  if (!isDict(top)) throw new Error("top level is not a dict");
  const [start, end] = top.spans.get("info")!;
  return toHex(sha1(torrent.subarray(start, end)));
}

/** Every piece of `data` (the files concatenated in meta.files order) matches its hash in `meta`. */
function expectPiecesMatch(meta: Metainfo, data: Uint8Array): void {
  expect(data.length).toBe(meta.totalLength);
  for (let i = 0; i < meta.pieceCount; i++) {
    const start = i * meta.pieceLength;
    expect(toHex(sha1(data.subarray(start, start + pieceLengthAt(meta, i))))).toBe(toHex(pieceHash(meta, i)));
  }
}

function run(cmd: string[], cwd: string): string {
  const proc = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${proc.exitCode}: ${proc.stderr.toString()}`);
  return proc.stdout.toString();
}

/** The infoHash `transmission-show` prints for a .torrent file. */
function transmissionHash(torrentPath: string, cwd: string): string {
  const out = run([requireBinary("transmission-show"), torrentPath], cwd);
  const hash = /^\s*Hash:\s*([0-9a-f]{40})\s*$/m.exec(out)?.[1];
  if (hash === undefined) throw new Error(`no Hash line in transmission-show output:\n${out}`);
  return hash;
}

describe("a committed .torrent made by mktorrent 1.1", () => {
  const bytes = new Uint8Array(readFileSync(join(import.meta.dir, "../fixtures/mktorrent-multi.torrent")));
  const meta = parseMetainfo(bytes);

  test("has the name, files, lengths and offsets mktorrent wrote (empty file and nested dirs included)", () => {
    expect(meta.name).toBe("mktorrent-multi");
    expect(meta.multiFile).toBe(true);
    expect(meta.files).toEqual([
      { path: ["a.txt"], lengthBytes: 12, offsetBytes: 0, isPad: false },
      { path: ["empty.txt"], lengthBytes: 0, offsetBytes: 12, isPad: false },
      { path: ["sub", "c"], lengthBytes: 1, offsetBytes: 12, isPad: false },
      { path: ["sub", "deeper", "b.bin"], lengthBytes: 40_000, offsetBytes: 13, isPad: false },
    ]);
    expect(meta.totalLength).toBe(40_013);
    expect(meta.pieceLength).toBe(32_768);
    expect(meta.pieceCount).toBe(2);
  });

  test("has the infoHash transmission-show reports, which is SHA-1 of the raw info bytes", () => {
    expect(meta.infoHashHex).toBe("6839125f837d8d3a888fee4c78711e6b2d033f1a");
    expect(meta.infoHashHex).toBe(independentInfoHash(bytes));
  });

  test("has the trackers, web seed and comment mktorrent wrote", () => {
    expect(meta.announceTiers).toEqual([
      ["http://127.0.0.1:6969/announce", "http://127.0.0.1:6970/announce"],
      ["udp://127.0.0.1:6969"],
    ]);
    expect(meta.urlList).toEqual(["http://127.0.0.1:8080/seed/"]);
    expect(meta.comment).toBe("made by mktorrent for ripple tests");
    expect(meta.createdBy).toBe("mktorrent 1.1");
    expect(meta.creationDate).toBeUndefined();
    expect(meta.private).toBe(false);
  });

  test("its piece hashes match the data it was made from (see test/fixtures/README.md)", () => {
    const b = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7 + 3) & 0xff);
    expectPiecesMatch(meta, concatBytes([utf8("hello world\n"), new Uint8Array(0), utf8("x"), b]));
  });
});

/** Files written to disk for the external creators: an empty file, nested dirs, a piece spanning files. */
const FILES: FixtureFile[] = [
  { path: ["a.bin"], data: patternBytes(5_000, 21) },
  { path: ["empty"], data: new Uint8Array(0) },
  { path: ["sub", "c.bin"], data: patternBytes(3, 22) },
  { path: ["sub", "deeper", "d.bin"], data: patternBytes(70_001, 23) },
];

/** Writes FILES under `dir/name`; returns the fixture (ripple's own view of the same data). */
async function writeTree(dir: string, name: string) {
  const fixture = makeTorrentFixture({ name, pieceLength: 32_768, files: FILES });
  await writeFixtureFiles(fixture, dir);
  return fixture;
}

/** Reads the files back in the order the torrent lists them. */
async function readInTorrentOrder(meta: Metainfo, dir: string): Promise<Uint8Array> {
  const parts = await Promise.all(meta.files.map((f) => readFile(meta.multiFile ? join(dir, meta.name, ...f.path) : join(dir, meta.name))));
  return concatBytes(parts.map((p) => new Uint8Array(p)));
}

const nonEmpty = (files: readonly { path: readonly string[]; lengthBytes: number }[]) =>
  files.filter((f) => f.lengthBytes > 0).map((f) => [f.path.join("/"), f.lengthBytes]).sort();

describe("torrents made at test time by other tools", () => {
  test.skipIf(missingBinaries("mktorrent"))("mktorrent: multi-file with an empty file and nested dirs", async () => {
    await using work = await tempDir("ripple-mktorrent-");
    const fixture = await writeTree(work.path, "tree");
    const out = join(work.path, "tree.torrent");
    run([requireBinary("mktorrent"), "-d", "-l", "15", "-a", "http://127.0.0.1:6969/announce", "-o", out, "tree"], work.path);
    const bytes = new Uint8Array(await readFile(out));
    const meta = parseMetainfo(bytes);
    expect(meta.name).toBe("tree");
    expect(meta.files.map((f) => [f.path.join("/"), f.lengthBytes]).sort()).toEqual(fixture.meta.files.map((f) => [f.path.join("/"), f.lengthBytes]).sort());
    expect(meta.pieceCount).toBe(Math.ceil(meta.totalLength / 32_768));
    expect(meta.infoHashHex).toBe(independentInfoHash(bytes));
    expectPiecesMatch(meta, await readInTorrentOrder(meta, work.path));
    if (!missingBinaries("transmission-show")) expect(meta.infoHashHex).toBe(transmissionHash(out, work.path));
    // Same files in the same (sorted) order and the same info keys: the fixture helper's info dict is byte-identical.
    expect(meta.infoHashHex).toBe(fixture.meta.infoHashHex);
  });

  test.skipIf(missingBinaries("mktorrent"))("mktorrent: single file with a short last piece", async () => {
    await using work = await tempDir("ripple-mktorrent-");
    const data = patternBytes(100_000, 24);
    await Bun.write(join(work.path, "one.bin"), data);
    const out = join(work.path, "one.torrent");
    run([requireBinary("mktorrent"), "-d", "-p", "-l", "15", "-a", "http://127.0.0.1:6969/announce", "-o", out, "one.bin"], work.path);
    const meta = parseMetainfo(new Uint8Array(await readFile(out)));
    expect(meta.multiFile).toBe(false);
    expect(meta.files).toEqual([{ path: ["one.bin"], lengthBytes: 100_000, offsetBytes: 0, isPad: false }]);
    expect(meta.private).toBe(true);
    expect(meta.announceTiers).toEqual([["http://127.0.0.1:6969/announce"]]);
    expectPiecesMatch(meta, data);
  });

  test.skipIf(missingBinaries("transmission-create"))("transmission-create: private multi-file torrent with a comment", async () => {
    await using work = await tempDir("ripple-tcreate-");
    const fixture = await writeTree(work.path, "tree");
    const out = join(work.path, "tree.torrent");
    const args = ["-p", "-s", "16", "-c", "made by transmission", "-t", "http://127.0.0.1:6969/announce", "-o", out, "tree"];
    run([requireBinary("transmission-create"), ...args], work.path);
    const bytes = new Uint8Array(await readFile(out));
    const meta = parseMetainfo(bytes);
    expect(meta.name).toBe("tree");
    // Transmission 3.00 leaves empty files out of the torrent.
    expect(nonEmpty(meta.files)).toEqual(nonEmpty(fixture.meta.files));
    expect(meta.pieceLength).toBe(16_384);
    expect(meta.private).toBe(true);
    expect(meta.comment).toBe("made by transmission");
    expect(meta.createdBy).toMatch(/^Transmission\//);
    expect(typeof meta.creationDate).toBe("number");
    expect(meta.infoHashHex).toBe(independentInfoHash(bytes));
    expectPiecesMatch(meta, await readInTorrentOrder(meta, work.path));
    if (!missingBinaries("transmission-show")) expect(meta.infoHashHex).toBe(transmissionHash(out, work.path));
  });
});
