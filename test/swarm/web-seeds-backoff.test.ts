// WebSeeds as a component: a Downloader over an in-memory storage, a fake clock and a scripted HTTP shell.
// Backoff is checked in order and against the injected clock, never against real time.

import { describe, expect, test } from "bun:test";
import type { Storage } from "../../src/storage/index.ts";
import { Downloader, WebSeeds, type WebSeedEvent } from "../../src/swarm/index.ts";
import { WebSeedError, silentLogger } from "../../src/util/index.ts";
import type { RangeRequest } from "../../src/webseed/index.ts";
import { FakeTime } from "../helpers/fake-time.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const BLOCK = 16384;

function setup(answer: (req: RangeRequest) => Promise<void>) {
  const fixture = makeTorrentFixture({ name: "w.bin", pieceLength: 2 * BLOCK, data: patternBytes(8 * 2 * BLOCK, 5) });
  const clock = new FakeTime();
  const written = new Map<number, Uint8Array>();
  const storage = { writePiece: async (index: number, data: Uint8Array) => void written.set(index, data.slice()) } as unknown as Storage;
  const events: WebSeedEvent[] = [];
  const wakes: number[] = [];
  const requests: RangeRequest[] = [];
  const verified: number[] = [];
  let ws: WebSeeds | undefined;
  const downloader = new Downloader(
    {
      meta: fixture.meta,
      // Web seed runs start at a random rarest piece (Picker.startRun): pinned to the first piece, so that
      // one run holds the whole small torrent.
      random: () => 0,
      storage,
      clock,
      log: silentLogger,
      bucket: undefined,
    },
    {
      peers: () => [],
      downloading: () => verified.length < fixture.meta.pieceCount,
      onVerified: (index) => verified.push(index),
      onHashFailed: () => undefined,
      ban: (key, reason) => ws!.ban(key, reason),
      wakeAfter: (ms) => wakes.push(ms),
      onError: (err) => {
        throw err;
      },
      fillOthers: () => ws!.fill(),
    },
    64,
  );
  ws = new WebSeeds(
    {
      meta: fixture.meta,
      downloader,
      clock,
      log: silentLogger,
      bucket: undefined,
      fetchRange: (req) => {
        requests.push(req);
        return answer(req);
      },
    },
    {
      downloading: () => verified.length < fixture.meta.pieceCount,
      wakeAfter: (ms) => wakes.push(ms),
      emit: (e) => events.push(e),
      warn: () => undefined,
    },
    ["http://127.0.0.1:1/"],
  );
  return { fixture, clock, ws, downloader, events, wakes, requests, verified, written };
}

/** Lets the rejected/resolved fetches and the piece writes settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await Bun.sleep(0);
}

describe("WebSeeds backoff (fake clock)", () => {
  test("a failing server backs off 2 s, then 4 s; in-flight failures do not deepen it; a success resets it", async () => {
    let failing = true;
    const t = setup(async (req) => {
      if (failing) throw new WebSeedError("status", `expected 206 partial content, got HTTP 503: ${req.url}`);
      const file = t.fixture.data.subarray(req.fileOffset, req.fileOffset + req.lengthBytes);
      req.onData(0, file);
    });
    t.ws.fill();
    expect(t.requests.length).toBe(1); // one run holds the whole (small) torrent
    expect(t.requests[0]!.timers).toBe(t.clock); // the request's idle timeout runs on the torrent's clock
    await settle();
    expect(t.events.map((e) => [e.action, e.retryInMs])).toEqual([["backoff", 2000]]);

    // Nothing is asked during the backoff, by the clock, however often fill() runs.
    t.clock.advance(1999);
    t.ws.fill();
    expect(t.requests.length).toBe(1);
    t.clock.advance(1);
    t.ws.fill();
    expect(t.requests.length).toBe(2);
    await settle();
    expect(t.events.map((e) => [e.action, e.retryInMs])).toEqual([["backoff", 2000], ["backoff", 4000]]);

    failing = false;
    t.clock.advance(4000);
    t.ws.fill();
    await settle();
    expect(t.verified.sort((a, b) => a - b)).toEqual([...Array(t.fixture.meta.pieceCount).keys()]);
    expect(t.events.map((e) => e.action)).toEqual(["backoff", "backoff", "started"]);
    for (const [index, data] of t.written) expect(data).toEqual(t.fixture.data.subarray(index * 2 * BLOCK, (index + 1) * 2 * BLOCK));
  });

  test("bad data from the web seed alone: banned at the first failed piece, never asked again", async () => {
    const t = setup(async (req) => {
      const bytes = t.fixture.data.slice(req.fileOffset, req.fileOffset + req.lengthBytes);
      bytes[0]! ^= 0xff;
      req.onData(0, bytes);
    });
    t.ws.fill();
    await settle();
    const banned = t.events.filter((e) => e.action === "banned");
    expect(banned.length).toBe(1);
    expect(banned[0]!.reason).toMatch(/piece \d+, which failed its hash check/);
    const asked = t.requests.length;
    t.clock.advance(600_000);
    t.ws.fill();
    expect(t.requests.length).toBe(asked);
  });
});
