// Tests for one web seed Range request (fetchRange) against an origin on 127.0.0.1 that answers only when the
// test says so: the idle timeout runs on the injected timers, restarts with each arrival, fires exactly when
// due, and is cleared at the end. No sleeps: fake time and events.

import { afterEach, describe, expect, test } from "bun:test";
import { WebSeedError } from "../../src/util/index.ts";
import { WEB_SEED_IDLE_TIMEOUT_MS, fetchRange } from "../../src/webseed/index.ts";
import { FakeTime, Recorder, settle } from "../helpers/fake-time.ts";

const LENGTH = 100;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * An origin whose one answer the test releases: the 206 headers with the first body chunk (Bun sends
 * headers only with a body's first chunk), then more chunks, then the end.
 */
function scriptedOrigin() {
  const requests = new Recorder<string | null>();
  const headers = Promise.withResolvers<Uint8Array>();
  let body: ReadableStreamDefaultController<Uint8Array> | undefined;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0, // a stalled body must stall until the client gives up
    async fetch(req) {
      requests.push(req.headers.get("range"));
      const first = await headers.promise;
      const stream = new ReadableStream<Uint8Array>({
        start: (c) => {
          body = c;
          c.enqueue(first);
        },
      });
      return new Response(stream, { status: 206, headers: { "Content-Range": `bytes 0-${LENGTH - 1}/${LENGTH}` } });
    },
  });
  cleanups.push(() => server.stop(true));
  return {
    url: `http://127.0.0.1:${server.port}/f.bin`,
    requests,
    answer: (first: Uint8Array) => headers.resolve(first),
    send: (bytes: Uint8Array) => body!.enqueue(bytes),
    end: () => body!.close(),
  };
}

function request(url: string, time: FakeTime) {
  const chunks = new Recorder<Uint8Array>();
  const abort = new AbortController();
  cleanups.push(() => abort.abort(new Error("test over")));
  let outcome: unknown = "pending";
  const done = fetchRange({ url, fileOffset: 0, lengthBytes: LENGTH, signal: abort.signal, timers: time, onData: (_o, b) => chunks.push(b) }).then(
    () => (outcome = "done"),
    (err: unknown) => (outcome = err),
  );
  return { chunks, done, outcome: () => outcome };
}

describe("fetchRange idle timeout", () => {
  test("restarts with each arrival, and abandons a stalled body exactly when it runs out", async () => {
    const origin = scriptedOrigin();
    const time = new FakeTime();
    const r = request(origin.url, time);
    expect(await origin.requests.waitFor(1)).toEqual([`bytes=0-${LENGTH - 1}`]);
    expect(time.nextDelayMs).toBe(WEB_SEED_IDLE_TIMEOUT_MS);
    time.advance(WEB_SEED_IDLE_TIMEOUT_MS - 1);
    origin.answer(new Uint8Array(1)); // one byte a chunk: never split, so each is one arrival
    await r.chunks.waitFor(1);
    expect(time.nextDelayMs).toBe(WEB_SEED_IDLE_TIMEOUT_MS);
    time.advance(WEB_SEED_IDLE_TIMEOUT_MS - 1);
    origin.send(new Uint8Array(1));
    await r.chunks.waitFor(2);
    time.advance(WEB_SEED_IDLE_TIMEOUT_MS - 1);
    await settle();
    expect(r.outcome()).toBe("pending");
    time.advance(1);
    await r.done;
    const err = r.outcome();
    expect(err).toBeInstanceOf(WebSeedError);
    expect((err as WebSeedError).kind).toBe("timeout");
    expect((err as Error).message).toBe(`no data for 30 s: bytes 0-${LENGTH - 1} of ${origin.url}`);
    expect(time.pending).toBe(0);
  });

  test("a body that arrives in full clears the timer", async () => {
    const origin = scriptedOrigin();
    const time = new FakeTime();
    const r = request(origin.url, time);
    await origin.requests.waitFor(1);
    origin.answer(new Uint8Array(60));
    await r.chunks.waitFor(1);
    origin.send(new Uint8Array(LENGTH - 60));
    origin.end();
    await r.done;
    expect(r.outcome()).toBe("done");
    expect(r.chunks.items.reduce((n, c) => n + c.length, 0)).toBe(LENGTH);
    expect(time.pending).toBe(0);
  });
});
