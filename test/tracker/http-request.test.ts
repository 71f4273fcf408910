// Tests for one HTTP announce (requestAnnounce) through an injected fetch, no sockets: its timeout runs on the
// injected timers, fires exactly when due, and is cleared when the tracker answers.

import { describe, expect, test } from "bun:test";
import { encodeBencode } from "../../src/bencode/index.ts";
import { requestAnnounce, type FetchFn } from "../../src/tracker/index.ts";
import { TrackerError } from "../../src/util/index.ts";
import { FakeTime, settle } from "../helpers/fake-time.ts";

const ANNOUNCE_URL = "http://127.0.0.1:1/announce?info_hash=x";

/** A fetch that never answers and ignores its signal: only the request's own race can end it. */
const deaf: FetchFn = () => new Promise<Response>(() => {});

describe("requestAnnounce", () => {
  test("a tracker that never answers times out exactly at timeoutMs on the injected timers", async () => {
    const time = new FakeTime();
    let outcome: unknown;
    const request = requestAnnounce(ANNOUNCE_URL, { fetch: deaf, timeoutMs: 15_000, timers: time }).catch((err: unknown) => (outcome = err));
    expect(time.nextDelayMs).toBe(15_000);
    time.advance(14_999);
    await settle();
    expect(outcome).toBeUndefined();
    time.advance(1);
    await request;
    expect(outcome).toBeInstanceOf(TrackerError);
    expect((outcome as Error).message).toBe("timed out after 15000 ms");
    expect(time.pending).toBe(0);
  });

  test("an answer clears the timeout", async () => {
    const time = new FakeTime();
    const body = encodeBencode({ interval: 900, peers: new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1]) });
    const answering: FetchFn = async () => new Response(body);
    const reply = await requestAnnounce(ANNOUNCE_URL, { fetch: answering, timeoutMs: 15_000, timers: time });
    expect(reply.peers).toEqual([{ host: "127.0.0.1", port: 6881 }]);
    expect(time.pending).toBe(0);
  });

  test("the caller's abort ends the request at once and clears the timeout", async () => {
    const time = new FakeTime();
    const abort = new AbortController();
    const request = requestAnnounce(ANNOUNCE_URL, { fetch: deaf, timeoutMs: 15_000, timers: time, signal: abort.signal });
    abort.abort(new TrackerError("announcer stopped"));
    await expect(request).rejects.toThrow("announcer stopped");
    expect(time.pending).toBe(0);
  });
});
