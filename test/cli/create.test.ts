// `ripple create` as a user runs it (the compiled binary): output file, --json events, refusals and
// exit codes, and the same infoHash as mktorrent 1.1 for a single file and for a tricky directory.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type Metainfo, parseMetainfo } from "../../src/metainfo/index.ts";
import { VERSION } from "../../src/version.ts";
import { rippleBinary } from "../helpers/binary.ts";
import { hasBinary, missingBinaries, requireBinary } from "../helpers/process.ts";
import { patternBytes } from "../helpers/torrent-fixture.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const ROOT = resolve(import.meta.dir, "../..");
let work: string;
let binary: string;

beforeAll(async () => {
  work = await makeTempDir("ripple-create-");
  // World-readable, so the unreadable-file test can run ripple as `nobody` when the tests run as root.
  await chmod(work, 0o755);
  binary = await rippleBinary();
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function ripple(args: string[], options: { cwd?: string; argv0?: string[]; onStdout?: (text: string, proc: Bun.Subprocess) => void } = {}): Promise<Run> {
  const cmd = [...(options.argv0 ?? [binary]), ...args];
  const proc = Bun.spawn(cmd, { cwd: options.cwd ?? work, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let stdout = "";
  const reader = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      options.onStdout?.(stdout, proc);
    }
  })();
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  await reader;
  return { code, stdout, stderr };
}

function expectOneLineError(r: Run, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^ripple: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const events = (r: Run) => r.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);

async function readTorrent(path: string): Promise<Metainfo> {
  return parseMetainfo(new Uint8Array(await readFile(path)));
}

async function writeTree(root: string, files: Record<string, Uint8Array | string>): Promise<void> {
  for (const [path, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
  }
}

describe("ripple create", () => {
  test("writes <name>.torrent in the current directory; --json ends with a done event", async () => {
    await writeFile(join(work, "one.bin"), patternBytes(100_000, 1));
    const r = await ripple(["create", "one.bin", "--json", "--no-date", "--piece-length", "32K", "-t", "http://127.0.0.1:6969/announce"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const meta = await readTorrent(join(work, "one.bin.torrent"));
    expect(events(r).at(-1)).toMatchObject({
      event: "done",
      infoHash: meta.infoHashHex,
      path: join(work, "one.bin.torrent"),
      pieceCount: 4,
      pieceLength: 32_768,
      totalBytes: 100_000,
    });
    expect(meta).toMatchObject({ name: "one.bin", multiFile: false, createdBy: `ripple/${VERSION}`, announceTiers: [["http://127.0.0.1:6969/announce"]] });
    expect(meta.creationDate).toBeUndefined();
  });

  test("plain output on stdout; every option reaches the file; the date is written by default", async () => {
    await writeTree(work, { "album/cover.jpg": patternBytes(20_000, 2), "album/disc 1/01.flac": patternBytes(30_001, 3), "album/disc 1/empty.txt": "" });
    const before = Math.floor(Date.now() / 1000);
    const r = await ripple(["create", "album", "-o", "out/album.torrent"]);
    expectOneLineError(r, 5, new RegExp(`^ripple: cannot write ${join(work, "out", "album.torrent")}: no such directory$`));
    await mkdir(join(work, "out"));
    const ok = await ripple(["create", "album", "-o", "out/album.torrent", "--name", "Album", "-t", "http://a/ann,udp://b:6969", "--tracker", "https://c/ann", "--web-seed", "http://w/s/", "--private", "--comment", "a comment"]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe("");
    const meta = await readTorrent(join(work, "out", "album.torrent"));
    expect(ok.stdout).toContain("created out/album.torrent\n");
    expect(ok.stdout).toContain(`info hash: ${meta.infoHashHex}`);
    expect(meta).toMatchObject({ name: "Album", multiFile: true, private: true, comment: "a comment", urlList: ["http://w/s/"] });
    expect(meta.announceTiers).toEqual([["http://a/ann", "udp://b:6969"], ["https://c/ann"]]);
    expect(meta.files.map((f) => f.path.join("/"))).toEqual(["cover.jpg", "disc 1/01.flac", "disc 1/empty.txt"]);
    expect(meta.pieceLength).toBe(16_384);
    expect(meta.creationDate).toBeGreaterThanOrEqual(before);
  });

  test("--quiet prints nothing", async () => {
    await writeFile(join(work, "quiet.bin"), "q");
    const r = await ripple(["create", "quiet.bin", "--quiet"]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("refuses to overwrite without --force; with --force an output inside the tree is left out", async () => {
    await writeTree(work, { "self/data": "some data" });
    const first = await ripple(["create", "self", "-o", "self/self.torrent", "--no-date", "--json"]);
    expect(first.code).toBe(0);
    const again = await ripple(["create", "self", "-o", "self/self.torrent", "--no-date"]);
    expectOneLineError(again, 2, /^ripple: self\/self\.torrent already exists; pass --force to overwrite it/);
    const forced = await ripple(["create", "self", "-o", "self/self.torrent", "--no-date", "--json", "--force"]);
    expect(forced.code).toBe(0);
    expect(events(forced).at(-1)!.infoHash).toBe(events(first).at(-1)!.infoHash);
    expect((await readTorrent(join(work, "self", "self.torrent"))).files.map((f) => f.path)).toEqual([["data"]]);
  });

  test("a missing path exits 5, an empty directory or only empty files exit 2, one line each", async () => {
    expectOneLineError(await ripple(["create", "nope"]), 5, /^ripple: cannot read nope: no such file or directory$/);
    await mkdir(join(work, "hollow", "inner"), { recursive: true });
    expectOneLineError(await ripple(["create", "hollow"]), 2, /^ripple: nothing to share: hollow holds no files, and a torrent needs at least one byte$/);
    await writeTree(work, { "zeros/a": "", "zeros/b/c": "" });
    expectOneLineError(await ripple(["create", "zeros"]), 2, /nothing to share: zeros holds only empty files/);
    await writeTree(work, { "dangling/ok": "x" });
    await symlink("gone", join(work, "dangling", "link"));
    expectOneLineError(await ripple(["create", "dangling"]), 5, /^ripple: cannot read dangling\/link: broken symbolic link$/);
  });

  test("bad option values exit 2 naming the option", async () => {
    await writeFile(join(work, "opt.bin"), "x");
    expectOneLineError(await ripple(["create", "opt.bin", "--tracker", "ftp://x/ann"]), 2, /--tracker: expected an http:\/\/, https:\/\/ or udp:\/\/ URL, got "ftp:\/\/x\/ann"/);
    expectOneLineError(await ripple(["create", "opt.bin", "--piece-length", "300K"]), 2, /--piece-length: expected "auto" or a power of two/);
    expectOneLineError(await ripple(["create", "opt.bin", "--web-seed", "udp://w:1"]), 2, /--web-seed: expected an http:\/\/ or https:\/\/ URL/);
    expectOneLineError(await ripple(["create", "opt.bin", "--name", "a/b"]), 2, /--name: path component "a\/b" contains a slash/);
    expectOneLineError(await ripple(["create", "opt.bin", "--trackers", "http://x/"]), 2, /unknown option --trackers/);
    expectOneLineError(await ripple(["create"]), 2, /path/i);
  });

  test.skipIf(process.getuid?.() === 0 && !hasBinary("setpriv"))("an unreadable file exits 5 naming it", async () => {
    await writeFile(join(work, "locked.bin"), "secret");
    await chmod(join(work, "locked.bin"), 0o000);
    // Root reads anything, so as root run ripple from source as `nobody` (the compiled binary sits in a private temp dir).
    const argv0 = process.getuid?.() === 0
      ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", process.execPath, join(ROOT, "src/cli/main.ts")]
      : [binary];
    expectOneLineError(await ripple(["create", "locked.bin"], { argv0 }), 5, /^ripple: cannot read locked\.bin: permission denied$/);
  });

  test("SIGINT while hashing exits 130 and writes nothing", async () => {
    // A sparse 8 GiB file: instant to make, seconds to hash, so the signal lands mid-way.
    await writeFile(join(work, "big.bin"), "");
    await truncate(join(work, "big.bin"), 8 * 1024 ** 3);
    let sent = false;
    const r = await ripple(["create", "big.bin", "--json"], {
      onStdout: (text, proc) => {
        if (!sent && text.includes('"event":"progress"')) {
          sent = true;
          proc.kill("SIGINT");
        }
      },
    });
    await rm(join(work, "big.bin"));
    expect(r.code).toBe(130);
    expect(events(r).at(-1)).toMatchObject({ event: "interrupted", signal: "SIGINT" });
    expect(await Bun.file(join(work, "big.bin.torrent")).exists()).toBe(false);
  });
});

describe("ripple create vs mktorrent 1.1: identical info dictionaries", () => {
  async function both(target: string, mkArgs: string[], rippleArgs: string[], cwd: string) {
    const mk = Bun.spawnSync([requireBinary("mktorrent"), "-d", ...mkArgs, "-o", "mk.torrent", target], { cwd, stdout: "pipe", stderr: "pipe" });
    if (mk.exitCode !== 0) throw new Error(`mktorrent exited ${mk.exitCode}: ${mk.stderr.toString()}`);
    const r = await ripple(["create", target, "--no-date", "-o", "ripple.torrent", "--quiet", ...rippleArgs], { cwd });
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    return { mk: await readTorrent(join(cwd, "mk.torrent")), ours: await readTorrent(join(cwd, "ripple.torrent")) };
  }

  function expectSame(mk: Metainfo, ours: Metainfo): void {
    expect(ours.files).toEqual(mk.files);
    expect(Buffer.from(ours.infoBytes).equals(Buffer.from(mk.infoBytes))).toBe(true);
    expect(ours.infoHashHex).toBe(mk.infoHashHex);
    expect(ours.announceTiers).toEqual(mk.announceTiers);
    expect(ours.urlList).toEqual(mk.urlList);
    expect(ours.comment).toEqual(mk.comment);
  }

  test.skipIf(missingBinaries("mktorrent"))("a single file with a short last piece, private, two tiers, web seed, comment", async () => {
    const dir = await mkdtemp(join(work, "mk-single-"));
    await writeFile(join(dir, "one file.bin"), patternBytes(100_001, 4));
    const { mk, ours } = await both(
      "one file.bin",
      ["-l", "15", "-p", "-a", "http://127.0.0.1:6969/announce,udp://127.0.0.1:6969", "-a", "http://127.0.0.1:6970/announce", "-w", "http://127.0.0.1:8080/seed/", "-c", "same"],
      ["--piece-length", "32K", "--private", "-t", "http://127.0.0.1:6969/announce,udp://127.0.0.1:6969", "-t", "http://127.0.0.1:6970/announce", "-w", "http://127.0.0.1:8080/seed/", "-c", "same"],
      dir,
    );
    expect(mk.pieceCount).toBe(4);
    expectSame(mk, ours);
  });

  test.skipIf(missingBinaries("mktorrent"))("a directory: byte order vs locale order, hidden files, links, empty file and dir, nested dirs", async () => {
    const dir = await mkdtemp(join(work, "mk-tree-"));
    const names = ["a b/x", "a-b/x", "a.txt", "a/x", "A.txt", "B/y", "b.txt", "Z z", "10/n", "9/n", "file10", "file2", "ü.txt", "u.txt", "v.txt", ".hidden", ".hiddendir/in", "sub/deeper/f"];
    await writeTree(join(dir, "tree"), Object.fromEntries(names.map((n, i) => [n, patternBytes(3_000 + i * 7_919, 10 + i)])));
    await writeFile(join(dir, "tree", "empty"), "");
    await mkdir(join(dir, "tree", "empty-dir", "deeper"), { recursive: true });
    await symlink("a.txt", join(dir, "tree", "link-to-file"));
    await symlink("sub", join(dir, "tree", "link-to-dir"));
    for (const [exp, size] of [["15", "32K"], ["18", "256K"]] as const) {
      await rm(join(dir, "mk.torrent"), { force: true });
      const { mk, ours } = await both("tree", ["-l", exp, "-a", "http://127.0.0.1:6969/announce"], ["--piece-length", size, "-t", "http://127.0.0.1:6969/announce", "--force"], dir);
      expect(mk.files.length).toBe(names.length + 3);
      expect(mk.files.map((f) => f.path.join("/")).slice(0, 4)).toEqual([".hidden", ".hiddendir/in", "10/n", "9/n"]);
      expectSame(mk, ours);
    }
  });
});
