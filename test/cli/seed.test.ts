// `ripple seed` and `ripple download --seed` through the compiled binary: a ripple Client in this test
// process downloads from them; exit codes for incomplete data, the ratio limit, a stall, --timeout,
// --metadata-timeout and SIGINT (each only waits for the process to give up: no elapsed time is asserted).
// When the limits fire on the clock (--seed-time, --timeout, --metadata-timeout, to the millisecond) is
// run-torrent.test.ts's, in process on a FakeTime.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TorrentStats } from "../../src/index.ts";
import { rippleBinary } from "../helpers/binary.ts";
import { startFakeSeeder } from "../helpers/fake-peer.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles, type TorrentFixture } from "../helpers/torrent-fixture.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { leechFixture, useClients } from "../helpers/torrents.ts";
import { JsonEvents } from "../helpers/json-events.ts";

let work: string;
let binary: string;
let fixture: TorrentFixture;
const { client } = useClients();

beforeAll(async () => {
  work = await makeTempDir("ripple-seed-cli-");
  binary = await rippleBinary();
  fixture = makeTorrentFixture({
    name: "shared",
    pieceLength: 32 * 1024,
    files: [
      { path: ["one.bin"], data: patternBytes(200_000, 51) },
      { path: ["two", "two.bin"], data: patternBytes(77_777, 52) },
    ],
  });
  await writeFile(join(work, "shared.torrent"), fixture.torrentBytes);
}, 120_000);

afterAll(() => rm(work, { recursive: true, force: true }));

interface Running {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** Its --json events as they arrive (`next(name)` waits for one; it rejects once the process exits). */
  json: JsonEvents;
  result: Promise<{ code: number; stderr: string }>;
}

/** Runs the binary with --json, collecting its events as they arrive. */
function start(args: string[]): Running {
  const proc = Bun.spawn([binary, ...args, "--json", "--port", "0"], { cwd: work, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const json = new JsonEvents();
  const reading = json.read(proc.stdout);
  const result = (async () => {
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    await reading;
    json.end(`exited ${code}: ${stderr}`);
    return { code, stderr };
  })();
  return { proc, json, result };
}

/** Downloads the fixture from 127.0.0.1:port with an in-process Client; resolves when complete. */
const leechFrom = (port: number, outDir: string): Promise<TorrentStats> => leechFixture(client(), fixture, port, outDir);

describe("ripple seed", () => {
  test("verifies the data, serves a leecher, stops on SIGINT with exit 130", async () => {
    const dir = join(work, "seed-ok");
    await writeFixtureFiles(fixture, dir);
    const seeder = start(["seed", "shared.torrent", "-o", dir]);
    const metadata = await seeder.json.next("metadata");
    await seeder.json.next("seeding");
    const got = await leechFrom(Number(metadata.port), join(work, "leech-1"));
    expect(got.verifiedBytes).toBe(fixture.meta.totalLength);
    seeder.proc.kill("SIGINT");
    const { code } = await seeder.result;
    expect(code).toBe(130);
    const last = seeder.json.events.at(-1)!;
    expect(last.event).toBe("interrupted");
    expect(last.uploadedBytes).toBeGreaterThanOrEqual(fixture.meta.totalLength);
  });

  test("data that is incomplete exits 6 naming how much was verified", async () => {
    const dir = join(work, "seed-partial");
    await writeFixtureFiles(fixture, dir);
    await rm(join(dir, "shared", "two", "two.bin"));
    const { code, stderr } = await start(["seed", "shared.torrent", "-o", dir]).result;
    expect(code).toBe(6);
    expect(stderr).toMatch(/^ripple: the data in .* is incomplete: \d+ of 9 pieces verified/);
  });

  test("--seed-ratio ends seeding with exit 0 once enough was uploaded", async () => {
    const dir = join(work, "seed-ratio");
    await writeFixtureFiles(fixture, dir);
    const seeder = start(["seed", "shared.torrent", "-o", dir, "--seed-ratio", "1"]);
    const metadata = await seeder.json.next("metadata");
    // Not before: while it checks its data it refuses peers, and a refused leecher redials 15 s later.
    await seeder.json.next("seeding");
    await leechFrom(Number(metadata.port), join(work, "leech-2"));
    const { code } = await seeder.result;
    expect(code).toBe(0);
    expect(seeder.json.events.at(-1)).toMatchObject({ event: "stopped" });
  });
});

describe("ripple download --seed", () => {
  test("bad --seed-ratio, --seed-time and rate values exit 2", async () => {
    for (const args of [["--seed-ratio", "lots"], ["--seed-time", "soon"], ["--max-upload-rate", "fast"]]) {
      const { code, stderr } = await start(["download", "shared.torrent", "--no-trackers", ...args]).result;
      expect(code).toBe(2);
      expect(stderr).toContain(`${args[0]}:`);
    }
  });
});

describe("ripple download gives up", () => {
  test("--stall-timeout: a seeder that vanishes mid-download ends the run with exit 7", async () => {
    // The seeder sends a few blocks, then drops the connection and stops listening.
    const source = startFakeSeeder(
      { infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data },
      { dropAfterBlocks: 3 },
    );
    const run = start(["download", "shared.torrent", "-o", join(work, "dl-stall"), "--peer", `127.0.0.1:${source.port}`, "--no-trackers", "--stall-timeout", "2s"]);
    await run.json.next("peer");
    source.stop();
    const { code, stderr } = await run.result;
    expect(code).toBe(7);
    expect(stderr).toMatch(/^ripple: stalled: no data for 2s at \d+ of 9 pieces/);
    expect(run.json.events.at(-1)).toMatchObject({ event: "error", exitCode: 7, code: "STALLED" });
  });

  test("a magnet whose peers never answer ends with --metadata-timeout's exit 9", async () => {
    // A peer that accepts the connection but never says a word.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const magnet = `magnet:?xt=urn:btih:${fixture.meta.infoHashHex}&dn=shared&x.pe=127.0.0.1:${silent.port}`;
    const run = start(["download", magnet, "-o", join(work, "dl-magnet"), "--no-trackers", "--metadata-timeout", "2s"]);
    const first = await run.json.next("fetching");
    expect(first).toMatchObject({ peers: 0, piecesDone: 0 });
    const { code, stderr } = await run.result;
    silent.stop(true);
    expect(code).toBe(9);
    expect(stderr).toMatch(/^ripple: no metadata after 2s \(--metadata-timeout\): \d+ peers connected/);
  });

  test("--timeout bounds the whole run with exit 8", async () => {
    using stuck = startFakeSeeder(
      { infoHash: fixture.meta.infoHash, pieceLength: fixture.meta.pieceLength, totalLength: fixture.meta.totalLength, data: fixture.data },
      { chokeAfterBlocks: 0 },
    );
    const { code, stderr } = await start(["download", "shared.torrent", "-o", join(work, "dl-timeout"), "--peer", `127.0.0.1:${stuck.port}`, "--no-trackers", "--timeout", "1s"]).result;
    expect(code).toBe(8);
    expect(stderr).toMatch(/^ripple: timed out after 1s \(--timeout\) at 0 of 9 pieces/);
  });
});
