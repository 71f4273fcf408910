// BitTorrent v2-only torrents (BEP 52) with libtorrent 2.0 on loopback, discovery off: the handshake
// carries the SHA-256 info hash truncated to 20 bytes, pieces are checked against piece layers. libtorrent
// seeds its own v2 torrent to ripple and ripple seeds its own to libtorrent; byte-identical both ways.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { formatMagnet, parseMetainfo } from "../../src/metainfo/index.ts";
import { missingLibtorrent, startLibtorrent } from "../helpers/libtorrent-peer.ts";
import { compareTrees, freePort, stopAllManaged, tempDir } from "../helpers/real-peers.ts";
import { startRipple } from "../helpers/ripple-process.ts";
import { patternBytes } from "../helpers/torrent-fixture.ts";

afterEach(stopAllManaged);

const ROOT = resolve(import.meta.dir, "../..");
const LT_CREATE = join(import.meta.dir, "../helpers/lt-create.py");
const isDone = (e: { event: string }) => e.event === "done";
const isSeeding = (e: { event: string }) => e.event === "seeding";
const PIECE = 32768;

/** Files that end mid-piece (implied padding), an empty file, a file under one piece, one of whole pieces. */
const TREE: [string, number][] = [
  ["a.bin", 100_000],
  ["c", 40_000],
  ["empty", 0],
  ["sub/b.bin", 5000],
  ["sub/z.bin", 3 * PIECE],
];

async function writeTree(dir: string): Promise<void> {
  for (const [i, [path, length]] of TREE.entries()) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), patternBytes(length, i + 21));
  }
}

async function run(cmd: string[]): Promise<string> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited with ${code}:\n${stderr}`);
  return stdout;
}

/** The source (a directory or one file) under `seedDir`. */
async function makeSource(seedDir: string, shape: "multi-file" | "single-file"): Promise<string> {
  if (shape === "multi-file") {
    await writeTree(join(seedDir, "data"));
    return join(seedDir, "data");
  }
  await mkdir(seedDir, { recursive: true });
  await writeFile(join(seedDir, "one.bin"), patternBytes(4 * PIECE + 99, 7));
  return join(seedDir, "one.bin");
}

async function sameAsSource(source: string, shape: "multi-file" | "single-file", out: string): Promise<void> {
  if (shape === "multi-file") expect(await compareTrees(source, join(out, "data"))).toEqual([]);
  else expect(Buffer.compare(await Bun.file(join(out, "one.bin")).bytes(), await Bun.file(source).bytes())).toBe(0);
}

describe.skipIf(missingLibtorrent())("v2-only torrents with libtorrent", () => {
  for (const shape of ["multi-file", "single-file"] as const) {
    test(`libtorrent seeds its own v2 torrent (${shape}) to ripple: byte-identical`, async () => {
      await using work = await tempDir();
      const seedDir = join(work.path, "seed");
      const source = await makeSource(seedDir, shape);
      const torrentPath = join(work.path, "lt.torrent");
      await run(["/usr/bin/python3", LT_CREATE, "v2", source, String(PIECE), torrentPath]);
      expect(parseMetainfo(await Bun.file(torrentPath).bytes()).v2?.hybrid).toBe(false);
      const port = await freePort();
      await using _lt = await startLibtorrent({ mode: "seed", torrentPath, dataDir: seedDir, ip: "127.0.0.1", port, encryption: "enabled" });
      const out = join(work.path, "leech");
      await using ripple = await startRipple(["download", torrentPath, "-o", out, "--port", "0", "--no-trackers", "--peer", `127.0.0.1:${port}`], "ripple leecher");
      await ripple.waitEvent(isDone, "the download to finish", 45_000);
      await sameAsSource(source, shape, out);
    }, 120_000);

    test(`ripple seeds its own v2 torrent (${shape}) to libtorrent: byte-identical`, async () => {
      await using work = await tempDir();
      const seedDir = join(work.path, "seed");
      const source = await makeSource(seedDir, shape);
      const torrentPath = join(work.path, "ripple.torrent");
      await run([process.execPath, join(ROOT, "src/cli/main.ts"), "create", "--v2", "--piece-length", String(PIECE), "-o", torrentPath, "--quiet", source]);
      await using ripple = await startRipple(["seed", torrentPath, "-o", seedDir, "--port", "0", "--no-trackers", "--host", "127.0.0.1"], "ripple seeder");
      const port = await ripple.port();
      await ripple.waitEvent(isSeeding, "seeding");
      const out = join(work.path, "leech");
      await using lt = await startLibtorrent({ mode: "leech", torrentPath, dataDir: out, ip: "127.0.0.1", port: await freePort(), encryption: "enabled", peers: [`127.0.0.1:${port}`] });
      await lt.waitFor("exited", 45_000);
      await sameAsSource(source, shape, out);
    }, 120_000);
  }

  test("libtorrent downloads ripple's v2 torrent from a btmh magnet: metadata, then piece layers by hash requests", async () => {
    await using work = await tempDir();
    const source = join(work.path, "seed", "data");
    await mkdir(source, { recursive: true });
    // 611 pieces of 16 KiB: libtorrent asks for the piece layer 512 hashes at a time, the second range
    // with uncle hashes up to the root; a file under one piece needs none.
    await writeFile(join(source, "big.bin"), patternBytes(610 * 16384 + 77, 31));
    await writeFile(join(source, "small"), patternBytes(5000, 32));
    const torrentPath = join(work.path, "ripple.torrent");
    await run([process.execPath, join(ROOT, "src/cli/main.ts"), "create", "--v2", "--piece-length", "16384", "-o", torrentPath, "--quiet", source]);
    const meta = parseMetainfo(await Bun.file(torrentPath).bytes());
    expect(meta.v2!.pieceLayers.size).toBe(1);
    await using ripple = await startRipple(["seed", torrentPath, "-o", join(work.path, "seed"), "--port", "0", "--no-trackers", "--host", "127.0.0.1"], "ripple seeder");
    const port = await ripple.port();
    await ripple.waitEvent(isSeeding, "seeding");
    const out = join(work.path, "leech");
    const magnet = formatMagnet({ infoHashV2: meta.v2!.infoHash, v2Only: true, name: "data" });
    await using lt = await startLibtorrent({ mode: "leech", torrentPath: magnet, dataDir: out, ip: "127.0.0.1", port: await freePort(), encryption: "enabled", peers: [`127.0.0.1:${port}`] });
    await lt.waitFor("exited", 60_000);
    expect(await compareTrees(source, join(out, "data"))).toEqual([]);
  }, 120_000);

  test("ripple downloads libtorrent's v2 torrent from a btmh magnet: metadata, then piece layers by hash requests", async () => {
    await using work = await tempDir();
    const seedDir = join(work.path, "seed");
    const source = join(seedDir, "data");
    await mkdir(source, { recursive: true });
    // 611 pieces of 16 KiB: two hash requests (512 hashes, then 128 with uncles); two files share a root.
    await writeFile(join(source, "big.bin"), patternBytes(610 * 16384 + 77, 41));
    await writeFile(join(source, "mid.bin"), patternBytes(3 * 16384 + 5, 42));
    await writeFile(join(source, "same.bin"), patternBytes(3 * 16384 + 5, 42));
    await writeFile(join(source, "small"), patternBytes(5000, 43));
    const torrentPath = join(work.path, "lt.torrent");
    const hashes = JSON.parse(await run(["/usr/bin/python3", LT_CREATE, "v2", source, "16384", torrentPath])) as { v2: string };
    const port = await freePort();
    await using _lt = await startLibtorrent({ mode: "seed", torrentPath, dataDir: seedDir, ip: "127.0.0.1", port, encryption: "enabled" });
    const out = join(work.path, "leech");
    const saved = join(work.path, "saved.torrent");
    const magnet = `magnet:?xt=urn:btmh:1220${hashes.v2}&dn=data`;
    await using ripple = await startRipple(["download", magnet, "-o", out, "--port", "0", "--no-trackers", "--peer", `127.0.0.1:${port}`, "--save-torrent", saved], "ripple leecher");
    await ripple.waitEvent(isDone, "the download to finish", 60_000);
    expect(await compareTrees(source, join(out, "data"))).toEqual([]);
    // The saved .torrent carries the fetched piece layers: it parses (layers checked against the roots).
    const back = parseMetainfo(await Bun.file(saved).bytes());
    expect(back.v2?.infoHashHex).toBe(hashes.v2);
    expect(back.v2?.pieceLayers.size).toBe(2);
  }, 120_000);
});
