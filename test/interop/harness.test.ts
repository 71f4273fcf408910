// Self-test of the real-peer harness (test/helpers/real-peers.ts) without ripple: opentracker with aria2c
// and Transmission seeding and leeching a mktorrent-made multi-file torrent, all on 127.0.0.1 with
// discovery off. The ripple interop tests mirror these with ripple in one of the roles.

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  assertSeedDataPresent,
  compareTrees,
  createTorrentWithMktorrent,
  freePort,
  isPortOpen,
  liveLogTails,
  makePayloadTree,
  missingBinaries,
  readTorrentInfo,
  startAria2Leecher,
  startAria2Seeder,
  startOpentracker,
  startTransmissionLeecher,
  startTransmissionSeeder,
  spawnManaged,
  stopAllManaged,
  tempDir,
  waitFor,
  waitForEvent,
} from "../helpers/real-peers.ts";

// Safety net: a failed assertion skips the rest of a test body, `await using` still stops what it started,
// and this catches anything started outside a `using` scope.
afterEach(stopAllManaged);

/** Alive and not a zombie (an orphan's zombie lingers until init reaps it, which may take a while). */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    // No /proc entry: the process is gone.
    return false;
  }
}

describe("harness basics", () => {
  test("freePort hands out distinct ports that are free for TCP and UDP", async () => {
    const ports = [await freePort({ udp: true }), await freePort({ udp: true }), await freePort()];
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect(await isPortOpen(port)).toBe(false);
  });

  test("stop() kills the whole process group and removes temp dirs", async () => {
    await using work = await tempDir();
    const dir = join(work.path, "owned");
    await mkdir(dir);
    const p = await spawnManaged(["bash", "-c", "sleep 300 & echo child=$!; echo ready; wait"], { name: "bash group", tempDirs: [dir] });
    await waitFor(() => p.log().includes("ready"), { what: "bash to start its child" });
    const child = Number(/child=(\d+)/.exec(p.log())?.[1]);
    expect(processAlive(child)).toBe(true);
    await p.stop();
    expect(p.hasExited).toBe(true);
    await waitFor(() => !processAlive(child), { what: "the grandchild to die with its group", timeoutMs: 20_000 });
    expect(await readdir(work.path)).toEqual([]);
    await p.stop(); // idempotent
  });

  test("waitFor times out naming what it waited for, with process logs", async () => {
    await using p = await spawnManaged(["bash", "-c", "echo distinctive-log-line; exec sleep 300"], { name: "sleeper" });
    await waitFor(() => p.log().includes("distinctive"), { what: "the log line" });
    const error = await waitFor(() => false, { what: "the impossible", timeoutMs: 120 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toStartWith("timed out waiting for the impossible after 120 ms");
    expect((error as Error).message).toContain("distinctive-log-line");
  });

  test("waitForEvent resolves with the event, and times out naming what it waited for", async () => {
    await using p = await spawnManaged(["bash", "-c", "exit 3"], { name: "quitter" });
    expect(await waitForEvent(p.exited, { what: "the exit" })).toBe(3);
    const error = await waitForEvent(new Promise(() => {}), { what: "the impossible", timeoutMs: 120 }).catch((e: unknown) => e);
    expect((error as Error).message).toStartWith("timed out waiting for the impossible after 120 ms");
  });

  test.skipIf(missingBinaries("mktorrent"))("payload tree and mktorrent torrent have the promised shape", async () => {
    await using work = await tempDir();
    const payload = await makePayloadTree(join(work.path, "seed"));
    const torrent = await createTorrentWithMktorrent({
      sourcePath: payload.root,
      announceUrl: "http://127.0.0.1:9/announce",
      outPath: join(work.path, "p.torrent"),
    });
    expect(torrent.name).toBe("payload");
    expect(torrent.pieceLength).toBe(32 * 1024);
    expect(torrent.totalBytes).toBe(payload.totalBytes);
    expect(torrent.pieceCount).toBe(Math.ceil(payload.totalBytes / torrent.pieceLength));
    expect(torrent.totalBytes % torrent.pieceLength).not.toBe(0); // short last piece
    expect(torrent.files).toEqual(payload.files); // mktorrent keeps the sorted order we wrote
    expect(torrent.files.some((f) => f.lengthBytes === 0)).toBe(true);
    expect(torrent.files.some((f) => f.path.split("/").length >= 3)).toBe(true);
    // Some piece covers at least 3 non-empty files.
    let offset = 0;
    const spans = torrent.files.map((f) => {
      const span = { first: offset, end: offset + f.lengthBytes };
      offset += f.lengthBytes;
      return span;
    });
    const filesPerPiece = Array.from({ length: torrent.pieceCount }, (_, i) => {
      const start = i * torrent.pieceLength;
      const end = Math.min(start + torrent.pieceLength, torrent.totalBytes);
      return spans.filter((s) => s.end > s.first && s.first < end && s.end > start).length;
    });
    expect(Math.max(...filesPerPiece)).toBeGreaterThanOrEqual(3);
    const first = await Bun.file(join(payload.root, "a-first.bin")).bytes();
    expect(first.includes(0)).toBe(true);
    // Deterministic: the same payload gives the same infoHash every run.
    const again = await createTorrentWithMktorrent({
      sourcePath: (await makePayloadTree(join(work.path, "seed2"))).root,
      announceUrl: "http://127.0.0.1:9/announce",
      outPath: join(work.path, "p2.torrent"),
    });
    expect(again.infoHash).toBe(torrent.infoHash);
    expect((await readTorrentInfo(torrent.path)).infoHash).toMatch(/^[0-9a-f]{40}$/);
  });

  test("compareTrees reports missing, extra, resized and changed files", async () => {
    await using work = await tempDir();
    const a = await makePayloadTree(join(work.path, "a"));
    const b = await makePayloadTree(join(work.path, "b"));
    expect(await compareTrees(a.root, b.root)).toEqual([]);
    await Bun.write(join(b.root, "z-last.bin"), new Uint8Array(70_000));
    await Bun.write(join(b.root, "c-dir", "small file.txt"), "short");
    await Bun.$`rm ${join(b.root, "b-empty.txt")}`.quiet();
    await writeFile(join(b.root, "extra.part"), "x");
    const diffs = await compareTrees(a.root, b.root);
    expect(diffs).toContain("content differs: z-last.bin: first difference at byte 0");
    expect(diffs).toContain("size differs: c-dir/small file.txt: expected 3000, got 5");
    expect(diffs).toContain("missing: b-empty.txt (0 bytes)");
    expect(diffs).toContain("unexpected: extra.part (1 bytes)");
    expect(await compareTrees(a.root, b.root, { ignoreEmptyFiles: true })).not.toContain("missing: b-empty.txt (0 bytes)");
  });
});

describe("real peers on 127.0.0.1 (no ripple)", () => {
  test.skipIf(missingBinaries("mktorrent", "aria2c"))("a seeder with bad data fails fast and leaves nothing running", async () => {
    await using work = await tempDir();
    const payload = await makePayloadTree(join(work.path, "seed"));
    const torrent = await createTorrentWithMktorrent({
      sourcePath: payload.root,
      announceUrl: "http://127.0.0.1:9/announce",
      outPath: join(work.path, "payload.torrent"),
    });
    await Bun.write(join(payload.root, "c-dir", "small file.txt"), "too short");
    await expect(assertSeedDataPresent(torrent.path, payload.dir)).rejects.toThrow("c-dir/small file.txt: 9 bytes, torrent says 3000");
    await expect(startAria2Seeder({ torrentPath: torrent.path, dataDir: payload.dir })).rejects.toThrow("torrent says 3000");

    // Same sizes, wrong bytes: only the client's own verification can tell.
    await Bun.write(join(payload.root, "c-dir", "small file.txt"), new Uint8Array(3000));
    await assertSeedDataPresent(torrent.path, payload.dir);
    const error = await startAria2Seeder({ torrentPath: torrent.path, dataDir: payload.dir }).catch((e: unknown) => e);
    expect(String(error)).toContain("failed verification");
    // startWith() stopped it: nothing left for the afterEach safety net.
    expect(liveLogTails()).toBe("");
  });

  test.skipIf(missingBinaries("opentracker", "mktorrent", "aria2c"))(
    "opentracker + aria2c seeder -> aria2c leecher: byte-identical multi-file download",
    async () => {
      await using work = await tempDir();
      // Tracker first, torrent second, then whitelist the new hash (exercises allow()/SIGHUP).
      await using tracker = await startOpentracker();
      const payload = await makePayloadTree(join(work.path, "seed"));
      const torrent = await createTorrentWithMktorrent({
        sourcePath: payload.root,
        announceUrl: tracker.announceUrl,
        outPath: join(work.path, "payload.torrent"),
      });
      await tracker.allow(torrent.infoHash);

      await using seeder = await startAria2Seeder({ torrentPath: torrent.path, dataDir: payload.dir });
      await tracker.waitForPeer(torrent.infoHash, seeder.port);
      expect((await tracker.scrape(torrent.infoHash)).complete).toBe(1);

      const out = join(work.path, "leech");
      await using leecher = await startAria2Leecher({ torrentPath: torrent.path, dataDir: out });
      await leecher.waitDone({ timeoutMs: 30_000 });

      expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
    },
  );

  test.skipIf(missingBinaries("opentracker", "mktorrent", "aria2c", "transmission-daemon"))(
    "opentracker + Transmission seeder -> aria2c leecher: byte-identical multi-file download",
    async () => {
      await using work = await tempDir();
      // Port first, so the torrent can name the tracker before the tracker starts with its whitelist.
      const trackerPort = await freePort({ udp: true });
      const payload = await makePayloadTree(join(work.path, "seed"));
      const torrent = await createTorrentWithMktorrent({
        sourcePath: payload.root,
        announceUrl: `http://127.0.0.1:${trackerPort}/announce`,
        outPath: join(work.path, "payload.torrent"),
      });
      await using tracker = await startOpentracker({ infoHashes: [torrent.infoHash], port: trackerPort });

      await using seeder = await startTransmissionSeeder({ torrentPath: torrent.path, dataDir: payload.dir });
      const got = await seeder.rpc("torrent-get", { ids: [1], fields: ["hashString"] });
      expect((got.torrents as { hashString: string }[])[0]?.hashString).toBe(torrent.infoHash);
      await tracker.waitForPeer(torrent.infoHash, seeder.port);

      // Transmission never dials loopback peers, but aria2c dials it from the tracker's list.
      const out = join(work.path, "leech");
      await using leecher = await startAria2Leecher({ torrentPath: torrent.path, dataDir: out });
      await leecher.waitDone({ timeoutMs: 40_000 });

      expect(await compareTrees(payload.root, join(out, torrent.name))).toEqual([]);
    },
  );

  test.skipIf(missingBinaries("opentracker", "mktorrent", "aria2c", "transmission-daemon"))(
    "opentracker + aria2c seeder -> Transmission leecher: identical apart from the empty file",
    async () => {
      await using work = await tempDir();
      await using tracker = await startOpentracker();
      const payload = await makePayloadTree(join(work.path, "seed"));
      const torrent = await createTorrentWithMktorrent({
        sourcePath: payload.root,
        announceUrl: tracker.announceUrl,
        outPath: join(work.path, "payload.torrent"),
      });
      await tracker.allow(torrent.infoHash);

      // Transmission will not dial a loopback seeder, so it announces first and the seeder dials it
      // (aria2c connects to the peers of its first announce, seeding or not).
      const out = join(work.path, "leech");
      await using leecher = await startTransmissionLeecher({ torrentPath: torrent.path, dataDir: out });
      await tracker.waitForPeer(torrent.infoHash, leecher.port);
      await using seeder = await startAria2Seeder({ torrentPath: torrent.path, dataDir: payload.dir });
      await leecher.waitDone({ timeoutMs: 40_000 });
      await leecher.stop(); // flushes Transmission's write cache

      // Transmission does not create 0-byte files.
      expect(await compareTrees(payload.root, join(out, torrent.name), { ignoreEmptyFiles: true })).toEqual([]);
    },
  );
});
