// A full disk, for real: the compiled binary downloads into a 1 MiB tmpfs. It must stop with exit 5 and a
// "disk full" line, leave nothing half-claimed, and finish once the file system has room (remount).
// Needs root for mount(8); skipped without it on a developer machine, required under CI=true.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { rippleBinary } from "../helpers/binary.ts";
import { startFakeSeeder } from "../helpers/fake-peer.ts";
import { IS_CI } from "../helpers/process.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

let work: string;
let mountPoint: string;
let mounted = false;

/** Runs a command without blocking this process's event loop (the seeder lives in it). */
async function runAsync(cmd: string[]): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn(cmd, { cwd: work, stdout: "ignore", stderr: "pipe" });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  return { code, stderr };
}

function sh(cmd: string[]): boolean {
  return Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

beforeAll(async () => {
  work = await makeTempDir("ripple-full-");
  mountPoint = join(work, "small");
  sh(["mkdir", "-p", mountPoint]);
  mounted = sh(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]);
  if (!mounted && IS_CI) throw new Error("cannot mount a tmpfs (root needed): CI=true requires this test to run");
});

afterAll(async () => {
  if (mounted) sh(["umount", mountPoint]);
  await rm(work, { recursive: true, force: true });
});

describe("disk full", () => {
  test.skipIf(!IS_CI && process.getuid?.() !== 0)("stops with exit 5, then completes once there is room", async () => {
    expect(mounted).toBe(true);
    const binary = await rippleBinary();
    const fixture = makeTorrentFixture({ name: "big.bin", pieceLength: 64 * 1024, data: patternBytes(3 * 1024 * 1024, 81) });
    await writeFile(join(work, "big.torrent"), fixture.torrentBytes);
    using seeder = startFakeSeeder({ infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data });
    const args = [binary, "download", "big.torrent", "-o", mountPoint, "--port", "0", "--peer", `127.0.0.1:${seeder.port}`, "--no-trackers", "--quiet"];

    const full = await runAsync(args);
    const stderr = full.stderr;
    expect(full.code).toBe(5);
    expect(stderr).toMatch(/^ripple: cannot write .*big\.bin: disk full\n/);
    expect(stderr).not.toMatch(/\n\s+at /);

    // Room again: the same command finishes, and the file is exactly the source.
    expect(sh(["mount", "-o", "remount,size=8m", mountPoint])).toBe(true);
    const again = await runAsync(args);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(Bun.hash(await readFile(join(mountPoint, "big.bin")))).toBe(Bun.hash(fixture.data));
  }, 60_000);
});
