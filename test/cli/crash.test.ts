// kill -9 and restart: the compiled binary downloads from a slow in-process seeder and is SIGKILLed at
// several points; each restart with the same command finishes the job byte-identical, and no piece that
// was verified on disk before a kill is requested again (the seeder counts requests per piece).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { rippleBinary } from "../helpers/binary.ts";
import { startFakeSeeder } from "../helpers/fake-peer.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { JsonEvents } from "../helpers/json-events.ts";

let work: string;
let binary: string;
beforeAll(async () => {
  work = await makeTempDir("ripple-crash-");
  binary = await rippleBinary();
}, 120_000);
afterAll(() => rm(work, { recursive: true, force: true }));

type Event = { event: string; piecesDone?: number; verifiedBytes?: number };

/** Runs ripple with --json; calls `onEvent` per event (it may kill the process); resolves on exit. */
async function run(args: string[], onEvent: (e: Event, proc: Bun.Subprocess) => void = () => {}): Promise<{ code: number; events: Event[] }> {
  const proc = Bun.spawn([binary, ...args, "--json"], { cwd: work, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const json = new JsonEvents<Event>((e) => onEvent(e, proc));
  await json.read(proc.stdout);
  return { code: await proc.exited, events: json.events };
}

/** Pieces verified on disk right now, as `ripple verify --json` reports them. */
async function verifiedOnDisk(pieceCount: number): Promise<number[]> {
  const { events } = await run(["verify", "t.torrent", "-o", "out"]);
  const done = events.find((e) => e.event === "done") as unknown as { badPieces: number[]; missingPieces: number[] };
  const notGood = new Set([...done.badPieces, ...done.missingPieces]);
  return [...Array(pieceCount).keys()].filter((i) => !notGood.has(i));
}

describe("kill -9 and restart", () => {
  test("three SIGKILLs mid-transfer, then a finished download; verified pieces are never fetched again", async () => {
    const fixture = makeTorrentFixture({
      name: "crash",
      pieceLength: 32 * 1024,
      files: [
        { path: ["one.bin"], data: patternBytes(700_000, 71) },
        { path: ["two.bin"], data: patternBytes(500_001, 72) },
      ],
    });
    const pieceCount = fixture.meta.pieceCount;
    await writeFile(join(work, "t.torrent"), fixture.torrentBytes);
    using seeder = startFakeSeeder(
      { infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data },
      { rateBytesPerSec: 256 * 1024 },
    );
    const args = ["download", "t.torrent", "-o", "out", "--port", "0", "--peer", `127.0.0.1:${seeder.port}`, "--no-trackers"];

    /** Requests since `before` for pieces that were verified on disk when the run started. */
    const refetched = (verified: Set<number>, before: number[]) => [...verified].filter((i) => seeder.stats.requests[i]! > before[i]!);
    let verified = new Set<number>();
    for (const killAt of [3, 12, 22]) {
      const before = [...seeder.stats.requests];
      const { code } = await run(args, (e, proc) => {
        if (e.event === "progress" && (e.piecesDone ?? 0) >= killAt) proc.kill("SIGKILL");
      });
      expect(code).toBe(137);
      expect(refetched(verified, before)).toEqual([]);
      verified = new Set(await verifiedOnDisk(pieceCount));
      expect(verified.size).toBeGreaterThanOrEqual(killAt);
    }

    const before = [...seeder.stats.requests];
    const final = await run(args);
    expect(final.code).toBe(0);
    expect(refetched(verified, before)).toEqual([]);
    for (const file of fixture.files) {
      expect(Bun.hash(await readFile(join(work, "out", "crash", ...file.path)))).toBe(Bun.hash(file.data));
    }
  }, 120_000);
});
