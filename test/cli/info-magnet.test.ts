// `ripple info <magnet>` from source (bun src/cli/main.ts): what a magnet link holds, --json, a bad link's
// exit code 3, a .torrent still read through the same argument, and BEP 52 (v2, hybrid) links and torrents.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { tempDir, type TempDir } from "../helpers/process.ts";
import { makeTorrentFixture, makeV2TorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";
import { toHex } from "../../src/util/index.ts";

const ROOT = resolve(import.meta.dir, "../..");
const HEX = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
const MAGNET =
  `magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&dn=Big+Buck%20Bunny&xl=276445467` +
  `&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce%3Fk%3Da%26b&tr=udp://127.0.0.1:1337` +
  `&x.pe=127.0.0.1:6881&x.pe=[::1]:6882&ws=http://127.0.0.1/seed/&so=0,2,4-6`;

let work: TempDir;

beforeAll(async () => {
  work = await tempDir("ripple-info-magnet-");
});

afterAll(async () => {
  await work.remove();
});

async function ripple(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "src/cli/main.ts"), ...args], { cwd: work.path, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, stdout, stderr };
}

describe("ripple info <magnet>", () => {
  test("prints the info hash, name, size, trackers, peers, web seeds and the selection", async () => {
    const r = await ripple("info", MAGNET);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      "magnet link:  files and pieces are known once the metadata is fetched from peers",
      "name:         Big Buck Bunny",
      `info hash:    ${HEX}`,
      "size:         264 MiB (276445467 bytes)",
      "tracker:      http://127.0.0.1:6969/announce?k=a&b",
      "tracker:      udp://127.0.0.1:1337",
      "peer:         127.0.0.1:6881",
      "peer:         [::1]:6882",
      "web seed:     http://127.0.0.1/seed/",
      "select files: 0,2,4-6 (0-based indices, BEP 53)",
      "",
    ]);
  });

  test("a bare link says the name is not given", async () => {
    const r = await ripple("info", `magnet:?xt=urn:btih:${HEX}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("name:         (not given)\n");
    expect(r.stdout).not.toContain("tracker:");
  });

  test("--json is one parseable object", async () => {
    const r = await ripple("info", MAGNET, "--json");
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("}\n")).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual({
      kind: "magnet",
      name: "Big Buck Bunny",
      infoHash: HEX,
      totalBytes: 276445467,
      trackers: ["http://127.0.0.1:6969/announce?k=a&b", "udp://127.0.0.1:1337"],
      peers: ["127.0.0.1:6881", "[::1]:6882"],
      webSeeds: ["http://127.0.0.1/seed/"],
      select: [0, 2, 4, 5, 6],
    });
    const bare = JSON.parse((await ripple("info", `magnet:?xt=urn:btih:${HEX}`, "--json")).stdout);
    expect(bare).toMatchObject({ name: null, totalBytes: null, select: null, trackers: [], peers: [] });
  });

  const bad: [string, string, RegExp][] = [
    ["a bad info hash", "magnet:?xt=urn:btih:1234", /^ripple: invalid magnet link: magnet\.xt: expected urn:btih:<40 hex or 32 base32>, got "urn:btih:1234"\n$/],
    ["no xt", "magnet:?dn=x", /^ripple: invalid magnet link: magnet\.xt: missing/],
    ["a btmh that is not SHA-256", `magnet:?xt=urn:btmh:1114${"ab".repeat(20)}`, /^ripple: invalid magnet link: magnet\.xt: expected urn:btmh:1220<64 hex>/],
    ["a bad selection", `magnet:?xt=urn:btih:${HEX}&so=3-1`, /^ripple: invalid magnet link: magnet\.so: /],
  ];
  for (const [what, link, message] of bad) {
    test(`${what}: one line on stderr, exit code 3 as for a bad torrent`, async () => {
      const r = await ripple("info", link);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    });
  }
});

describe("ripple info: BEP 52 links and torrents", () => {
  const V2 = "ab".repeat(16) + "cd".repeat(16);
  test("a v2-only link shows the v2 hash and the truncated wire hash; a hybrid link both hashes", async () => {
    const only = await ripple("info", `magnet:?xt=urn:btmh:1220${V2}`);
    expect(only.code).toBe(0);
    expect(only.stdout).toContain(`info hash v2: ${V2} (BEP 52, v2-only link)`);
    expect(only.stdout).toContain(`wire hash:    ${V2.slice(0, 40)}`);
    const json = JSON.parse((await ripple("info", `magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${V2}`, "--json")).stdout);
    expect(json).toMatchObject({ infoHash: HEX, infoHashV2: V2, v2Only: false });
  });

  test("a hybrid .torrent: meta version, both hashes and each file's merkle root", async () => {
    const files = [
      { path: ["b.bin"], data: patternBytes(5000, 1) },
      { path: ["a.bin"], data: patternBytes(40_000, 2) },
    ];
    const fx = makeV2TorrentFixture({ name: "h", pieceLength: 16384, files, hybrid: true });
    await writeFile(join(work.path, "h.torrent"), fx.torrentBytes);
    const r = await ripple("info", "h.torrent");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("version:      hybrid (BEP 52: v1 and v2 swarms)");
    expect(r.stdout).toContain(`info hash v1: ${fx.meta.infoHashHex}`);
    expect(r.stdout).toContain(`info hash v2: ${fx.meta.v2!.infoHashHex}`);
    expect(r.stdout).toMatch(new RegExp(`a\\.bin  root ${toHex(fx.meta.v2!.files[0]!.piecesRoot!)}`));
    const json = JSON.parse((await ripple("info", "h.torrent", "--json")).stdout);
    expect(json).toMatchObject({ metaVersion: "hybrid", infoHashV1: fx.meta.infoHashHex, infoHashV2: fx.meta.v2!.infoHashHex, totalBytes: 45_000 });
    expect(json.files.map((f: { path: string }) => f.path)).toEqual(["a.bin", "b.bin"]);
  });

  test("a v2-only .torrent: no v1 hash, the v2 hash", async () => {
    const fx = makeV2TorrentFixture({ name: "v.bin", pieceLength: 16384, data: patternBytes(40_000, 3) });
    await writeFile(join(work.path, "v.torrent"), fx.torrentBytes);
    const r = await ripple("info", "v.torrent", "--json");
    expect(JSON.parse(r.stdout)).toMatchObject({ metaVersion: "v2", infoHashV1: null, infoHashV2: fx.meta.v2!.infoHashHex, infoHash: fx.meta.v2!.infoHashHex.slice(0, 40) });
  });
});

describe("ripple info <file.torrent> through the same argument", () => {
  test("a .torrent is shown as before, --json now says kind torrent", async () => {
    const fx = makeTorrentFixture({ name: "hello.txt", pieceLength: 16384, data: patternBytes(40_000, 3) });
    await writeFile(join(work.path, "hello.torrent"), fx.torrentBytes);
    const r = await ripple("info", "hello.torrent");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`info hash:    ${fx.meta.infoHashHex}`);
    expect(r.stdout).toContain("files (1):");
    const json = JSON.parse((await ripple("info", "hello.torrent", "--json")).stdout);
    expect(json).toMatchObject({ kind: "torrent", name: "hello.txt", infoHash: fx.meta.infoHashHex, pieceCount: 3 });
  });

  test("a missing file is still exit code 3", async () => {
    const r = await ripple("info", "magnet.torrent");
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("ripple: cannot read torrent file magnet.torrent: no such file\n");
  });
});
