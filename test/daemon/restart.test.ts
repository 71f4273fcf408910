// kill -9 of `ripple daemon` (the compiled binary) mid-download: started again on the same state dir,
// the torrent comes back and finishes, and no piece verified on disk before the kill is requested again
// (a slow scripted seeder, announced to ripple's tracker, counts requests per piece).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startTrackerServer } from "../../src/tracker/index.ts";
import { silentLogger } from "../../src/util/index.ts";
import { rippleBinary } from "../helpers/binary.ts";
import { startFakeSeeder } from "../helpers/fake-peer.ts";
import { waitFor } from "../helpers/process.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const API_KEY = "restart-test-key-0123456789";
let work: string;
let binary: string;
beforeAll(async () => {
  work = await makeTempDir("ripple-daemon-restart-");
  binary = await rippleBinary();
}, 120_000);
afterAll(() => rm(work, { recursive: true, force: true }));

/** Starts the daemon binary; resolves with the process and its Web API URL from the `listening` event. */
async function startDaemon(): Promise<{ proc: Bun.Subprocess<"ignore", "pipe", "pipe">; url: string }> {
  const args = ["daemon", "--state-dir", join(work, "state"), "--http", "127.0.0.1:0", "--host", "127.0.0.1", "--port", "0", "--no-dht", "--api-key", API_KEY, "--json", "--seed-ratio", "1.5", "--seed-time", "90m", "--max-active-downloads", "2"];
  const proc = Bun.spawn([binary, ...args], { cwd: work, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of proc.stdout) {
    buffered += decoder.decode(chunk, { stream: true });
    const line = buffered.split("\n").find((l) => l.includes('"listening"'));
    if (line) return { proc, url: (JSON.parse(line) as { http: string }).http };
  }
  throw new Error(`the daemon exited (${await proc.exited}) before listening: ${await new Response(proc.stderr).text()}`);
}

async function info(url: string, hash: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${url}/api/v2/torrents/info?hashes=${hash}`, { headers: { authorization: `Bearer ${API_KEY}` } });
  return ((await res.json()) as Record<string, unknown>[])[0];
}

/** Pieces verified on disk now, as `ripple verify --json` reports them. */
async function verifiedOnDisk(pieceCount: number): Promise<Set<number>> {
  const proc = Bun.spawn([binary, "verify", "t.torrent", "-o", join(work, "state", "downloads"), "--json"], { cwd: work, stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const done = out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { event: string; badPieces?: number[]; missingPieces?: number[] }).find((e) => e.event === "done")!;
  const notGood = new Set([...done.badPieces!, ...done.missingPieces!]);
  return new Set([...Array(pieceCount).keys()].filter((i) => !notGood.has(i)));
}

test("kill -9 mid-download: the torrent comes back and finishes without refetching verified pieces", async () => {
  await using tracker = { ...(await startTrackerServer({ host: "127.0.0.1", port: 0, http: true, udp: false, intervalSec: 60, log: silentLogger })), async [Symbol.asyncDispose]() { await this.stop(); } };
  const fixture = makeTorrentFixture({
    name: "restart",
    pieceLength: 32 * 1024,
    files: [
      { path: ["one.bin"], data: patternBytes(600_000, 81) },
      { path: ["two.bin"], data: patternBytes(300_001, 82) },
    ],
    announce: `http://127.0.0.1:${tracker.httpPort}/announce`,
  });
  const { meta } = fixture;
  await writeFile(join(work, "t.torrent"), fixture.torrentBytes);
  using seeder = startFakeSeeder({ infoHash: meta.infoHash, pieceLength: meta.pieceLength, totalLength: meta.totalLength, data: fixture.data }, { rateBytesPerSec: 128 * 1024 });
  // The scripted seeder does not announce: register it with the tracker by hand.
  const pct = (b: Uint8Array) => [...b].map((x) => `%${x.toString(16).padStart(2, "0")}`).join("");
  const announce = await fetch(`http://127.0.0.1:${tracker.httpPort}/announce?info_hash=${pct(meta.infoHash)}&peer_id=${pct(seeder.peerId)}&port=${seeder.port}&uploaded=0&downloaded=0&left=0&compact=1&event=started`);
  expect(announce.status).toBe(200);

  const first = await startDaemon();
  try {
    const form = new FormData();
    form.append("torrents", new File([fixture.torrentBytes], "t.torrent"));
    const added = await fetch(`${first.url}/api/v2/torrents/add`, { method: "POST", body: form, headers: { authorization: `Bearer ${API_KEY}` } });
    expect(await added.text()).toBe("Ok.");
    const prefs = await (await fetch(`${first.url}/api/v2/app/preferences`, { headers: { authorization: `Bearer ${API_KEY}` } })).json();
    expect(prefs).toMatchObject({ max_ratio_enabled: true, max_ratio: 1.5, max_seeding_time_enabled: true, max_seeding_time: 90, max_active_downloads: 2, dht: false, save_path: join(work, "state", "downloads") });
    const killAtBytes = 8 * meta.pieceLength;
    await waitFor(async () => Number((await info(first.url, meta.infoHashHex))?.completed ?? 0) >= killAtBytes, { what: "8 pieces verified before the kill", timeoutMs: 45_000 });
  } finally {
    first.proc.kill("SIGKILL");
  }
  expect(await first.proc.exited).toBe(137);
  const verified = await verifiedOnDisk(meta.pieceCount);
  expect(verified.size).toBeGreaterThanOrEqual(8);
  const before = [...seeder.stats.requests];

  const second = await startDaemon();
  try {
    // Before any peer data, the restored torrent is listed with its category-less defaults and save path.
    const restored = await info(second.url, meta.infoHashHex);
    expect(restored).toMatchObject({ name: "restart", save_path: join(work, "state", "downloads") });
    await waitFor(async () => (await info(second.url, meta.infoHashHex))?.progress === 1, { what: "the restarted download to finish", timeoutMs: 45_000 });
  } finally {
    second.proc.kill("SIGTERM");
  }
  expect(await second.proc.exited).toBe(143); // a graceful stop: state and resume data saved
  const refetched = [...verified].filter((i) => seeder.stats.requests[i]! > before[i]!);
  expect(refetched).toEqual([]);
  for (const file of fixture.files) {
    expect(Bun.hash(await readFile(join(work, "state", "downloads", "restart", ...file.path)))).toBe(Bun.hash(file.data));
  }
}, 120_000);
