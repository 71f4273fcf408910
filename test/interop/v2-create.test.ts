// BEP 52 creation against the reference: libtorrent 2.0 (python3-libtorrent) and `ripple create --v2` /
// `--hybrid` make torrents of the same files and piece length; their info hashes (so their info
// dictionaries) must be equal, and ripple must parse libtorrent's torrents to the same hashes.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseMetainfo } from "../../src/metainfo/index.ts";
import { missingLibtorrent } from "../helpers/libtorrent-peer.ts";
import { tempDir, type TempDir } from "../helpers/process.ts";
import { patternBytes } from "../helpers/torrent-fixture.ts";

const ROOT = resolve(import.meta.dir, "../..");
const LT_CREATE = join(import.meta.dir, "../helpers/lt-create.py");
let work: TempDir;

beforeAll(async () => {
  work = await tempDir("ripple-v2-create-");
});
afterAll(async () => {
  await work.remove();
});

/** Files whose order differs between full-path and per-component sorting, empty files, exact and odd sizes. */
const TREE: [string, number][] = [
  ["a b/x", 16385],
  ["a/x", 1],
  ["a.txt", 65536],
  ["a/y/deep.bin", 200_000],
  ["empty", 0],
  ["z/empty-too", 0],
  ["z/last.bin", 3 * 65536 + 7],
  ["B", 16384],
];

async function writeTree(dir: string): Promise<void> {
  for (const [i, [path, length]] of TREE.entries()) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), patternBytes(length, i + 1));
  }
}

async function run(cmd: string[]): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd: work.path, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited with ${code}:\n${stderr}`);
  return stdout;
}

async function libtorrentCreate(mode: string, path: string, pieceLength: number, out: string): Promise<{ v1: string | null; v2: string }> {
  return JSON.parse(await run(["/usr/bin/python3", LT_CREATE, mode, path, String(pieceLength), out])) as { v1: string | null; v2: string };
}

async function rippleCreate(mode: string, path: string, pieceLength: number, out: string): Promise<{ infoHash: string; infoHashV2: string }> {
  const stdout = await run([process.execPath, join(ROOT, "src/cli/main.ts"), "create", `--${mode}`, "--piece-length", String(pieceLength), "-o", out, "--json", path]);
  const done = stdout.trim().split("\n").map((l) => JSON.parse(l) as { event: string; infoHash: string; infoHashV2: string }).find((e) => e.event === "done");
  if (!done) throw new Error(`no done event in:\n${stdout}`);
  return done;
}

describe.skipIf(missingLibtorrent())("ripple create --v2 / --hybrid equals libtorrent's create_torrent", () => {
  const cases: [string, "v2" | "hybrid", "dir" | "single", number][] = [
    ["v2, a directory, 16 KiB pieces", "v2", "dir", 16384],
    ["v2, a directory, 64 KiB pieces", "v2", "dir", 65536],
    ["hybrid, a directory, 16 KiB pieces", "hybrid", "dir", 16384],
    ["hybrid, a directory, 64 KiB pieces", "hybrid", "dir", 65536],
    ["v2, a single file", "v2", "single", 32768],
    ["hybrid, a single file", "hybrid", "single", 32768],
  ];
  for (const [what, mode, shape, pieceLength] of cases) {
    test(what, async () => {
      const dir = join(work.path, `${mode}-${shape}-${pieceLength}`);
      let target = join(dir, "data");
      if (shape === "dir") await writeTree(target);
      else {
        target = join(dir, "one.bin");
        await mkdir(dir, { recursive: true });
        await writeFile(target, patternBytes(5 * pieceLength + 123, 9));
      }
      const lt = await libtorrentCreate(mode, target, pieceLength, join(dir, "lt.torrent"));
      const ours = await rippleCreate(mode, target, pieceLength, join(dir, "ripple.torrent"));
      expect(ours.infoHashV2).toBe(lt.v2);
      if (mode === "hybrid") expect(ours.infoHash).toBe(lt.v1!);
      // And ripple reads libtorrent's file to the same hashes, piece layers checked.
      const parsed = parseMetainfo(new Uint8Array(await readFile(join(dir, "lt.torrent"))));
      expect(parsed.v2?.infoHashHex).toBe(lt.v2);
      expect(parsed.infoHashHex).toBe(lt.v1 ?? lt.v2.slice(0, 40));
    });
  }
});

describe("ripple create: BEP 52 options", () => {
  test("--v2 and --hybrid exclude each other (a usage error)", async () => {
    const proc = Bun.spawn([process.execPath, join(ROOT, "src/cli/main.ts"), "create", "--v2", "--hybrid", "x"], { cwd: work.path, stdout: "pipe", stderr: "pipe" });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--v2 and --hybrid exclude each other/);
  });

  test("a hybrid torrent ripple made verifies against its data (through the v1 pieces, pad files unread)", async () => {
    const dir = join(work.path, "verify-hybrid");
    await writeTree(join(dir, "data"));
    await rippleCreate("hybrid", join(dir, "data"), 16384, join(dir, "h.torrent"));
    const out = await run([process.execPath, join(ROOT, "src/cli/main.ts"), "verify", "h.torrent", "-o", ".", "--json"].map((a) => (a === "h.torrent" ? join(dir, a) : a === "." ? dir : a)));
    const done = out.trim().split("\n").map((l) => JSON.parse(l) as { event: string; bad?: number; missing?: number }).at(-1)!;
    expect(done).toMatchObject({ bad: 0, missing: 0 });
  });

  test("ripple verify checks a v2-only torrent by merkle hashes: all good, then one damaged piece", async () => {
    const dir = join(work.path, "verify-v2");
    await writeTree(join(dir, "data"));
    await rippleCreate("v2", join(dir, "data"), 16384, join(dir, "v.torrent"));
    const verify = async () => {
      const proc = Bun.spawn([process.execPath, join(ROOT, "src/cli/main.ts"), "verify", join(dir, "v.torrent"), "-o", dir, "--json"], { stdout: "pipe", stderr: "pipe" });
      const [code, stdout] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
      const events = stdout.trim().split("\n").map((l) => JSON.parse(l) as { bad?: number; missing?: number });
      return { code, last: events.find((e) => e.bad !== undefined) };
    };
    const good = await verify();
    expect(good.code).toBe(0);
    expect(good.last).toMatchObject({ bad: 0, missing: 0 });
    const path = join(dir, "data", "a/y/deep.bin");
    const bytes = new Uint8Array(await readFile(path));
    bytes[100_000]! ^= 0xff;
    await writeFile(path, bytes);
    const damaged = await verify();
    expect(damaged.code).toBe(6);
    expect(damaged.last).toMatchObject({ bad: 1, missing: 0 });
  });
});
