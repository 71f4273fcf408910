// End to end through the compiled binary, as a CI job would run it: `ripple tracker`, `ripple create`,
// `ripple seed`, `ripple download`, every one with --json, on 127.0.0.1. Also the documented exit code
// when the only seeder vanishes mid-download.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startDhtNode } from "../../src/dht/index.ts";
import { rippleBinary } from "../helpers/binary.ts";
import { patternBytes } from "../helpers/torrent-fixture.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { JsonEvents } from "../helpers/json-events.ts";

type Event = Record<string, unknown> & { event: string };

/** A running ripple command whose stdout JSON events are collected as they arrive. */
class Json extends JsonEvents<Event> {
  readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  readonly done: Promise<{ code: number; stderr: string }>;

  constructor(binary: string, args: string[], cwd: string) {
    super();
    this.proc = Bun.spawn([binary, ...args, "--json"], { cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const reading = this.read(this.proc.stdout);
    this.done = Promise.all([this.proc.exited, new Response(this.proc.stderr).text(), reading]).then(([code, stderr]) => {
      this.end(`exited ${code}: ${stderr}`);
      return { code, stderr };
    });
  }
}

let work: string;
let binary: string;
const running: Json[] = [];

function start(args: string[]): Json {
  const j = new Json(binary, args, work);
  running.push(j);
  return j;
}

beforeAll(async () => {
  binary = await rippleBinary();
  work = await makeTempDir("ripple-e2e-");
  await mkdir(join(work, "seed", "payload", "nested"), { recursive: true });
  await writeFile(join(work, "seed", "payload", "big.bin"), patternBytes(3_000_000, 61));
  await writeFile(join(work, "seed", "payload", "nested", "small.txt"), "hello from the seeder\n");
  await writeFile(join(work, "seed", "payload", "nested", "empty"), "");
}, 120_000);

afterAll(async () => {
  for (const j of running) j.proc.kill("SIGKILL");
  await rm(work, { recursive: true, force: true });
});

describe("tracker + create + seed + download", () => {
  test("every step reports through --json and the download is byte-identical", async () => {
    const tracker = start(["tracker", "--port", "0"]);
    const listening = await tracker.next("listening");
    expect(listening.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/announce$/);
    expect(listening.udp).toMatch(/^udp:\/\/127\.0\.0\.1:\d+$/);

    // UDP first, HTTP as the fallback tier: both are ripple's own tracker.
    const create = start(["create", "seed/payload", "-o", "payload.torrent", "--tracker", String(listening.udp), "--tracker", String(listening.http)]);
    const created = await create.next("done");
    expect((await create.done).code).toBe(0);
    expect(created).toMatchObject({ name: "payload", files: 3, totalBytes: 3_000_000 + 22 });
    expect(created.infoHash).toMatch(/^[0-9a-f]{40}$/);

    const seed = start(["seed", "payload.torrent", "-o", "seed", "--port", "0"]);
    expect(await seed.next("metadata")).toMatchObject({ name: "payload", infoHash: created.infoHash });
    await seed.next("seeding");
    const seedAnnounce = await seed.next("tracker");
    expect(seedAnnounce.url).toBe(listening.udp);

    const download = start(["download", "payload.torrent", "-o", "out", "--port", "0", "--stall-timeout", "30s", "--timeout", "2m"]);
    const result = await download.done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const names = download.events.map((e) => e.event);
    expect(names[0]).toBe("metadata");
    expect(names).toContain("tracker");
    expect(names).toContain("peer");
    expect(names.at(-1)).toBe("done");
    const done = download.events.at(-1)!;
    expect(done).toMatchObject({ piecesDone: done.pieceCount, verifiedBytes: 3_000_022, totalBytes: 3_000_022 });
    for (const e of download.events) expect(typeof e.time).toBe("string");

    for (const path of ["big.bin", "nested/small.txt", "nested/empty"]) {
      const expected = await readFile(join(work, "seed", "payload", path));
      expect(Bun.hash(await readFile(join(work, "out", "payload", path)))).toBe(Bun.hash(expected));
    }

    seed.proc.kill("SIGTERM");
    tracker.proc.kill("SIGINT");
    expect((await seed.done).code).toBe(143);
    expect((await tracker.done).code).toBe(130);
    expect(tracker.events.at(-1)?.event).toBe("stopped");
  }, 90_000);

  test("trackerless: seed and download a bare magnet through a loopback DHT (--dht-bootstrap)", async () => {
    const boot = await startDhtNode({ host: "127.0.0.1", port: 0, bootstrap: [] });
    try {
      const dht = ["--dht", "--dht-port", "0", "--dht-bootstrap", `127.0.0.1:${boot.port}`];
      const create = start(["create", "seed/payload", "-o", "bare.torrent"]);
      const created = await create.next("done");
      expect((await create.done).code).toBe(0);
      const seed = start(["seed", "bare.torrent", "-o", "seed", "--port", "0", ...dht, "--dht-state", "seed-dht.json"]);
      expect((await seed.next("tracker")).url).toBe("dht");
      const download = start(["download", `magnet:?xt=urn:btih:${created.infoHash}`, "-o", "out-dht", "--port", "0", ...dht, "--dht-state", "leech-dht.json", "--timeout", "1m"]);
      const result = await download.done;
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(Bun.hash(await readFile(join(work, "out-dht", "payload", "big.bin")))).toBe(Bun.hash(await readFile(join(work, "seed", "payload", "big.bin"))));
      seed.proc.kill("SIGINT");
      await seed.done;
      // The routing table was kept for the next run.
      expect(JSON.parse(await readFile(join(work, "leech-dht.json"), "utf8"))).toBeObject();
    } finally {
      await boot.stop();
    }
  }, 60_000);

  test("the only seeder vanishing mid-download ends it with the stall exit code 7", async () => {
    const tracker = start(["tracker", "--port", "0"]);
    const { http } = await tracker.next("listening");
    const create = start(["create", "seed/payload", "-o", "stall.torrent", "--tracker", String(http)]);
    expect((await create.done).code).toBe(0);
    // A slow seeder, so the download is surely unfinished when it dies.
    const seed = start(["seed", "stall.torrent", "-o", "seed", "--port", "0", "--max-upload-rate", "200K"]);
    await seed.next("tracker");
    const download = start(["download", "stall.torrent", "-o", "out-stall", "--port", "0", "--stall-timeout", "2s"]);
    await download.next("peer");
    seed.proc.kill("SIGKILL");
    const { code, stderr } = await download.done;
    expect(code).toBe(7);
    expect(stderr).toMatch(/^ripple: stalled: no data for 2s at \d+ of \d+ pieces/);
    tracker.proc.kill("SIGINT");
    await tracker.done;
  }, 60_000);
});
