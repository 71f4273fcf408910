// The compiled executable as a user runs it: `info` and `download` on fixtures, checking stdout, stderr
// and exit codes for success, a missing file, a corrupt torrent, bad options and an interrupted download.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeBencode } from "../../src/bencode/index.ts";
import { startTrackerServer } from "../../src/tracker/index.ts";
import { silentLogger } from "../../src/util/index.ts";
import { VERSION } from "../../src/version.ts";
import { rippleBinary } from "../helpers/binary.ts";
import { startFakeSeeder, type FakeSeeder } from "../helpers/fake-peer.ts";
import { makeTorrentFixture, patternBytes, type TorrentFixture } from "../helpers/torrent-fixture.ts";
import { expectFixtureOnDisk } from "../helpers/files.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

let work: string;
let binary: string;
let single: TorrentFixture;
let multi: TorrentFixture;

beforeAll(async () => {
  work = await makeTempDir("ripple-cli-");
  binary = await rippleBinary();
  single = makeTorrentFixture({ name: "hello.txt", pieceLength: 16384, data: patternBytes(40_000, 11), announce: "http://127.0.0.1:1/announce" });
  multi = makeTorrentFixture({
    name: "album",
    pieceLength: 16384,
    files: [
      { path: ["cover.jpg"], data: patternBytes(20_000, 12) },
      { path: ["disc 1", "01.flac"], data: patternBytes(30_001, 13) },
      { path: ["disc 1", "empty.txt"], data: new Uint8Array(0) },
    ],
  });
  await writeFile(join(work, "single.torrent"), single.torrentBytes);
  await writeFile(join(work, "multi.torrent"), multi.torrentBytes);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function ripple(args: string[], options: { onStdout?: (text: string, proc: Bun.Subprocess) => void } = {}): Promise<Run> {
  const proc = Bun.spawn([binary, ...args], { cwd: work, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
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

/** A one-line error: "ripple: ..." plus at most a hint line, and never a stack trace. */
function expectOneLineError(r: Run, pattern: RegExp): void {
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^ripple: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe("ripple (compiled)", () => {
  test("--version and --help", async () => {
    const v = await ripple(["--version"]);
    expect(v).toMatchObject({ code: 0, stdout: `ripple ${VERSION}\n` });
    const h = await ripple(["--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout + h.stderr).toContain("download");
    expect(h.stdout + h.stderr).toContain("info");
    const dh = await ripple(["download", "--help"]);
    expect(dh.code).toBe(0);
    expect(dh.stdout + dh.stderr).toContain("--max-peers");
  });

  test("no command is a usage error", async () => {
    const r = await ripple([]);
    expect(r.code).toBe(2);
  });

  test("info prints the name, hash, size and numbered files", async () => {
    const r = await ripple(["info", "multi.torrent"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("name:         album");
    expect(r.stdout).toContain(`info hash:    ${multi.meta.infoHashHex}`);
    expect(r.stdout).toContain(`(${multi.meta.totalLength} bytes)`);
    expect(r.stdout).toMatch(/1\s+19\.5 KiB\s+cover\.jpg/);
    expect(r.stdout).toContain("disc 1/01.flac");
  });

  test("info --json is one parseable object", async () => {
    const r = await ripple(["info", "single.torrent", "--json"]);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({
      name: "hello.txt",
      infoHash: single.meta.infoHashHex,
      totalBytes: 40_000,
      pieceCount: 3,
      trackers: [["http://127.0.0.1:1/announce"]],
      files: [{ index: 1, path: "hello.txt", lengthBytes: 40_000 }],
    });
  });

  test("a missing .torrent exits 3 with one line", async () => {
    const r = await ripple(["info", "nope.torrent"]);
    expect(r.code).toBe(3);
    expectOneLineError(r, /cannot read torrent file nope\.torrent: no such file/);
  });

  test("a corrupt .torrent exits 3 and says what is wrong", async () => {
    await writeFile(join(work, "garbage.torrent"), "this is not bencode");
    const g = await ripple(["info", "garbage.torrent"]);
    expect(g.code).toBe(3);
    expectOneLineError(g, /invalid torrent file garbage\.torrent/);

    const bad = encodeBencode({ info: { name: "x", "piece length": -5, pieces: new Uint8Array(20), length: 10 } });
    await writeFile(join(work, "bad-field.torrent"), bad);
    const b = await ripple(["download", "bad-field.torrent", "-o", "out-bad"]);
    expect(b.code).toBe(3);
    expectOneLineError(b, /piece length/);
  });

  test("an unknown option or a bad value exits 2", async () => {
    const u = await ripple(["download", "single.torrent", "--ouput", "x"]);
    expect(u.code).toBe(2);
    expectOneLineError(u, /unknown option --ouput/);
    const p = await ripple(["download", "single.torrent", "--port", "http"]);
    expect(p.code).toBe(2);
    expectOneLineError(p, /--port: expected an integer/);
    const extra = await ripple(["download", "single.torrent", "other.torrent"]);
    expect(extra.code).toBe(2);
    expectOneLineError(extra, /unexpected argument "other\.torrent"/);
    const negative = await ripple(["download", "single.torrent", "--port", "-1"]);
    expect(negative.code).toBe(2);
    expectOneLineError(negative, /--port: expected an integer from 0 to 65535, got "-1"/);
    const peer = await ripple(["download", "single.torrent", "--peer", "localhost"]);
    expect(peer.code).toBe(2);
    expectOneLineError(peer, /--peer/);
  });

  describe("download", () => {
    let seeder: FakeSeeder;
    beforeAll(() => {
      seeder = startFakeSeeder({ infoHash: multi.meta.infoHash, pieceLength: multi.meta.pieceLength, totalLength: multi.meta.totalLength, data: multi.data });
    });
    afterAll(() => seeder.stop());

    test("fetches a multi-file torrent from --peer, --json events, exit 0", async () => {
      const r = await ripple(["download", "multi.torrent", "-o", "out-json", "--port", "0", "--peer", `127.0.0.1:${seeder.port}`, "--no-trackers", "--json"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const events = r.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
      expect(events[0]).toMatchObject({ event: "metadata", name: "album", infoHash: multi.meta.infoHashHex, totalBytes: multi.meta.totalLength });
      expect(events.at(-1)).toMatchObject({ event: "done", verifiedBytes: multi.meta.totalLength });
      expect(events.some((e) => e.event === "peer")).toBe(true);
      await expectFixtureOnDisk(multi, join(work, "out-json"));
    });

    test("every --peer is used: two seeders holding half the pieces each", async () => {
      const t = { infoHash: multi.meta.infoHash, pieceLength: multi.meta.pieceLength, totalLength: multi.meta.totalLength, data: multi.data };
      const pieces = [...Array(multi.meta.pieceCount).keys()];
      const id = (n: number) => new TextEncoder().encode(`-FK0001-half${String(n).padStart(8, "0")}`);
      using even = startFakeSeeder(t, { have: pieces.filter((i) => i % 2 === 0), peerId: id(0) });
      using odd = startFakeSeeder(t, { have: pieces.filter((i) => i % 2 === 1), peerId: id(1) });
      const r = await ripple(["download", "multi.torrent", "-o", "out-two", "--port", "0", "--peer", `127.0.0.1:${even.port}`, "--peer", `127.0.0.1:${odd.port}`, "--no-trackers", "--quiet"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(even.stats.blocksServed).toBeGreaterThan(0);
      expect(odd.stats.blocksServed).toBeGreaterThan(0);
    });

    test("--no-trackers: the torrent's tracker is never contacted", async () => {
      const tracker = await startTrackerServer({ host: "127.0.0.1", port: 0, http: true, udp: true, intervalSec: 60, log: silentLogger });
      try {
        const withTracker = makeTorrentFixture({
          name: "album",
          pieceLength: 16384,
          files: multi.files,
          announce: `http://127.0.0.1:${tracker.httpPort}/announce`,
        });
        expect(withTracker.meta.infoHashHex).toBe(multi.meta.infoHashHex);
        await writeFile(join(work, "tracked.torrent"), withTracker.torrentBytes);
        const r = await ripple(["download", "tracked.torrent", "-o", "out-nt", "--port", "0", "--peer", `127.0.0.1:${seeder.port}`, "--no-trackers", "--json"]);
        expect(r.code).toBe(0);
        expect(r.stdout).not.toContain('"event":"tracker"');
        expect(tracker.stats().httpAnnounces + tracker.stats().udpAnnounces).toBe(0);
      } finally {
        await tracker.stop();
      }
    });

    test("plain output ends with a done line on stderr, nothing on stdout", async () => {
      const r = await ripple(["download", "multi.torrent", "-o", "out-plain", "--port", "0", "--peer", `127.0.0.1:${seeder.port}`, "--no-trackers"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^downloading album/);
      expect(r.stderr).toMatch(/done: album/);
    });

    test("an output path that is a file exits 5 naming it", async () => {
      await writeFile(join(work, "blocker"), "x");
      const r = await ripple(["download", "multi.torrent", "-o", "blocker/sub", "--port", "0", "--peer", `127.0.0.1:${seeder.port}`, "--no-trackers", "--quiet"]);
      expect(r.code).toBe(5);
      expectOneLineError(r, /blocker/);
    });

    test("SIGINT stops gracefully with exit 130", async () => {
      // A peer that never unchokes keeps the download waiting until the signal.
      using stuck = startFakeSeeder(
        { infoHash: single.meta.infoHash, pieceLength: single.meta.pieceLength, totalLength: single.meta.totalLength, data: single.data },
        { chokeAfterBlocks: 0 },
      );
      let sent = false;
      const r = await ripple(["download", "single.torrent", "-o", "out-int", "--port", "0", "--peer", `127.0.0.1:${stuck.port}`, "--no-trackers", "--json"], {
        onStdout: (text, proc) => {
          if (!sent && text.includes('"event":"peer"')) {
            sent = true;
            proc.kill("SIGINT");
          }
        },
      });
      expect(r.code).toBe(130);
      const events = r.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
      expect(events.at(-1)).toMatchObject({ event: "interrupted" });
    });
  });
});
