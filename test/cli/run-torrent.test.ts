// `download` and `seed` run in process on a FakeTime clock (runTorrent, as the commands call it with
// systemClock): the --json progress interval and event times, the seed time limit, --timeout and
// --metadata-timeout all end exactly when the clock passes them, however slow the machine. The torrent
// itself runs for real on 127.0.0.1 (no trackers, no DHT); its --json events are read off stdout.

import { afterAll, afterEach, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EXIT, exitCodeFor } from "../../src/cli/exit-codes.ts";
import type { TorrentStats } from "../../src/index.ts";
import { runTorrent, type SeedPolicy } from "../../src/cli/run-torrent.ts";
import type { TorrentRunOptions } from "../../src/cli/torrent-args.ts";
import { RippleError } from "../../src/util/index.ts";
import { FakeTime, settle } from "../helpers/fake-time.ts";
import { startFakeSeeder } from "../helpers/fake-peer.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles, type TorrentFixture } from "../helpers/torrent-fixture.ts";
import { leechFixture, useClients } from "../helpers/torrents.ts";
import { JsonEvents } from "../helpers/json-events.ts";

let work: string;
let fixture: TorrentFixture;
let torrentPath: string;

beforeAll(async () => {
  work = await makeTempDir("ripple-run-torrent-");
  fixture = makeTorrentFixture({ name: "timed", pieceLength: 32 * 1024, files: [{ path: ["a.bin"], data: patternBytes(270_000, 61) }] });
  torrentPath = join(work, "timed.torrent");
  await writeFile(torrentPath, fixture.torrentBytes);
});
afterAll(() => rm(work, { recursive: true, force: true }));

let restoreStdout: (() => void) | undefined;
const { client } = useClients();
afterEach(() => {
  restoreStdout?.();
  restoreStdout = undefined;
});

/** Downloads the fixture from 127.0.0.1:port with an in-process Client; resolves when complete. */
const leechFrom = (port: number, outDir: string): Promise<TorrentStats> => leechFixture(client(), fixture, port, outDir);

/** The --json events written to stdout while a test runs (stdout itself stays quiet). */
function captureEvents(): JsonEvents {
  const events = new JsonEvents();
  const spy = spyOn(process.stdout, "write").mockImplementation(((chunk: string | Uint8Array) => (events.push(chunk), true)) as typeof process.stdout.write);
  restoreStdout = () => spy.mockRestore();
  return events;
}

function runOptions(outDir: string, over: Partial<TorrentRunOptions> = {}): TorrentRunOptions {
  return {
    torrentPath,
    outDir,
    peers: [],
    noTrackers: true,
    noWebSeeds: true,
    mode: "json",
    verbose: false,
    client: { port: 0, host: "127.0.0.1", encryption: "plain", utp: "off" },
    exclude: [],
    preallocate: false,
    ...over,
  };
}

/** Starts runTorrent; `settled` says whether it has ended (resolved or thrown) yet. */
function start(o: TorrentRunOptions, policy: SeedPolicy, time: FakeTime) {
  let settled = false;
  const run = runTorrent(o, policy, time).finally(() => (settled = true));
  run.catch(() => undefined);
  return { run, settled: () => settled };
}

const at = (time: FakeTime, ms: number) => new Date(time.epochStartMs + ms).toISOString();

describe("runTorrent on an injected clock", () => {
  test("seed: a progress event a second, stamped with the clock's time; --seed-time ends seeding exactly when the clock passes it", async () => {
    const dir = join(work, "seed");
    await writeFixtureFiles(fixture, dir);
    const events = captureEvents();
    const time = new FakeTime();
    const exitCode = process.exitCode;
    const run = start(runOptions(dir), { seed: true, requireComplete: true, timeMs: 10 * 60_000 }, time);
    const seeding = await events.next("seeding");
    expect(seeding).toMatchObject({ time: at(time, 0), verifiedBytes: fixture.meta.totalLength });

    const before = events.events.length;
    time.advance(3_000);
    expect(events.events.slice(before).map((e) => [e.event, e.time])).toEqual([1000, 2000, 3000].map((ms) => ["progress", at(time, ms)]));

    time.advance(10 * 60_000 - 3_001);
    await settle();
    expect(run.settled()).toBe(false);
    time.advance(1);
    await run.run;
    expect(events.events.at(-1)).toMatchObject({ event: "stopped", time: at(time, 10 * 60_000) });
    expect(process.exitCode).toBe(exitCode);
  });

  test("download --seed-time: downloads, seeds to a leecher, and stops when the clock passes the seed time", async () => {
    using source = startFakeSeeder({ infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data });
    const events = captureEvents();
    const time = new FakeTime();
    const run = start(runOptions(join(work, "dl-seed"), { peers: [{ host: "127.0.0.1", port: source.port }] }), { seed: true, timeMs: 5 * 60_000 }, time);
    const metadata = await events.next("metadata");
    // Another leecher, knowing only this ripple, joins while ripple downloads (the source connected, so
    // ripple accepts peers: a checking torrent refuses them). All it gets comes from ripple; the seed
    // time cannot run out before it is done, since it runs on the fake clock.
    await events.next("peer");
    const leeched = leechFrom(Number(metadata.port), join(work, "leech"));
    await events.next("done");
    await events.next("seeding");
    await leeched;
    time.advance(5 * 60_000 - 1);
    await settle();
    expect(run.settled()).toBe(false);
    time.advance(1);
    await run.run;
    const names = events.events.map((e) => e.event);
    expect(names.indexOf("done")).toBeLessThan(names.indexOf("seeding"));
    expect(events.events.at(-1)).toMatchObject({ event: "stopped", time: at(time, 5 * 60_000) });
    expect(events.events.at(-1)!.uploadedBytes).toBeGreaterThanOrEqual(fixture.meta.totalLength);
  });

  test("--timeout ends a download that gets nowhere exactly when the clock passes it (exit 8)", async () => {
    // A peer that unchokes nobody: connected, but no data ever comes.
    using stuck = startFakeSeeder(
      { infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data },
      { chokeAfterBlocks: 0 },
    );
    const events = captureEvents();
    const time = new FakeTime();
    const run = start(runOptions(join(work, "timeout"), { peers: [{ host: "127.0.0.1", port: stuck.port }] }), { seed: false, timeoutMs: 60_000 }, time);
    await events.next("metadata");
    time.advance(59_999);
    await settle();
    expect(run.settled()).toBe(false);
    time.advance(1);
    const err = await run.run.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RippleError);
    expect((err as RippleError).message).toBe(`timed out after 1m00s (--timeout) at 0 of ${fixture.meta.pieceCount} pieces`);
    expect(exitCodeFor(err)).toBe(EXIT.TIMEOUT);
  });

  test("--metadata-timeout ends a magnet whose peer never answers exactly when the clock passes it (exit 9)", async () => {
    // A peer that accepts the connection but never says a word.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const events = captureEvents();
      const time = new FakeTime();
      const magnet = `magnet:?xt=urn:btih:${fixture.meta.infoHashHex}&dn=timed&x.pe=127.0.0.1:${silent.port}`;
      const run = start(runOptions(join(work, "magnet"), { torrentPath: magnet }), { seed: false, metadataTimeoutMs: 120_000 }, time);
      expect(await events.next("fetching")).toMatchObject({ piecesDone: 0, time: at(time, 0) });
      time.advance(119_999);
      await settle();
      expect(run.settled()).toBe(false);
      expect(events.events.filter((e) => e.event === "fetching").length).toBe(1 + 119); // at once, then every second
      time.advance(1);
      const err = await run.run.then(() => undefined, (e: unknown) => e);
      expect((err as RippleError).message).toMatch(/^no metadata after 2m00s \(--metadata-timeout\): \d+ peers connected/);
      expect(exitCodeFor(err)).toBe(EXIT.METADATA_TIMEOUT);
    } finally {
      silent.stop(true);
    }
  });
});
