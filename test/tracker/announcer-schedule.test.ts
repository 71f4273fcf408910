// Tests for the tracker announcer's timing against fake HTTP trackers on 127.0.0.1: stop and `stopped`,
// requestPeers and min interval, backoff after failures. Scheduling and request timeouts run on fake timers;
// no sleeps.

import { afterEach, describe, expect, test } from "bun:test";
import { BACKOFF_INITIAL_MS, DEFAULT_MIN_INTERVAL_SEC, STOP_ANNOUNCE_TIMEOUT_MS, REQUEST_PEERS_BACKOFF_FLOOR_MS } from "../../src/tracker/index.ts";
import { announcer, closeAll, okReply, tracker } from "../helpers/announcer-harness.ts";
import { settle } from "../helpers/fake-time.ts";

afterEach(closeAll);

describe("announcer timing", () => {
  test("stop() sends stopped with numwant 0 and clears every timer", async () => {
    const t = await tracker();
    const { a, time, requestTime, peers } = announcer([[t.url]]);
    a.start();
    await peers.waitFor(1);
    await a.stop();
    expect(t.announces.at(-1)).toMatchObject({ event: "stopped", numWant: 0 });
    expect([time.pending, requestTime.pending]).toEqual([0, 0]);
    a.requestPeers();
    a.completed();
    expect(time.pending).toBe(0);
    expect(t.announces).toHaveLength(2);
  });

  test("stop() gives up on a tracker that hangs on stopped at the stop timeout, not before", async () => {
    const t = await tracker((_ann, i) => (i === 0 ? okReply() : { kind: "hang" }));
    const { a, requestTime, peers } = announcer([[t.url]], { stopTimeoutMs: undefined }); // the default bound
    a.start();
    await peers.waitFor(1);
    let stopped = false;
    const stopping = a.stop().then(() => (stopped = true));
    expect((await t.waitForAnnounces(2))[1]!.event).toBe("stopped");
    expect(requestTime.nextDelayMs).toBe(STOP_ANNOUNCE_TIMEOUT_MS);
    requestTime.advance(STOP_ANNOUNCE_TIMEOUT_MS - 1);
    await settle();
    expect(stopped).toBe(false);
    requestTime.advance(1);
    await stopping;
    expect(requestTime.pending).toBe(0);
  });

  test("stop() during a hanging first announce cancels it and still withdraws (it may have registered us)", async () => {
    const t = await tracker({ kind: "hang" });
    const { a, time, requestTime } = announcer([[t.url]], { timeoutMs: 60_000, stopTimeoutMs: 200 });
    a.start();
    await t.waitForAnnounces(1);
    const stopping = a.stop();
    await t.waitForAnnounces(2);
    expect([requestTime.pending, requestTime.nextDelayMs]).toEqual([1, 200]); // the first one's timeout is gone
    requestTime.advance(200); // the tracker hangs on stopped too
    await stopping;
    expect(t.announces.map((x) => x.event)).toEqual(["started", "stopped"]);
    expect([time.pending, requestTime.pending]).toEqual([0, 0]);
  });

  test("requestPeers waits for the tracker's min interval and does not stack", async () => {
    const t = await tracker(okReply({ minIntervalSec: 120 }));
    const { a, time, peers } = announcer([[t.url]]);
    let scheduled = time.nextTimer();
    a.start();
    await peers.waitFor(1);
    expect(await scheduled).toBe(1_800_000);
    time.advance(30_000);
    a.requestPeers();
    a.requestPeers();
    expect(time.pending).toBe(1);
    expect(time.nextDelayMs).toBe(90_000);
    scheduled = time.nextTimer();
    time.advance(90_000);
    await peers.waitFor(2);
    expect(t.announces[1]!.event).toBeUndefined();
    await scheduled;
    time.advance(120_000); // min interval over: the next request goes out at once
    a.requestPeers();
    await t.waitForAnnounces(3);
  });

  test("requestPeers uses a default min interval when the tracker gives none", async () => {
    const t = await tracker();
    const { a, time, peers } = announcer([[t.url]]);
    const scheduled = time.nextTimer();
    a.start();
    await peers.waitFor(1);
    await scheduled;
    a.requestPeers();
    expect(time.nextDelayMs).toBe(DEFAULT_MIN_INTERVAL_SEC * 1000);
  });

  test("backs off exponentially when every tracker fails, resets after a success", async () => {
    const t1 = await tracker({ kind: "status", status: 500 });
    const t2 = await tracker({ kind: "failure", reason: "down" });
    const { a, time, warnings, peers } = announcer([[t1.url], [t2.url]], { random: () => 0.5 });
    const delays: number[] = [];
    for (let round = 1; round <= 4; round++) {
      const scheduled = time.nextTimer();
      if (round === 1) a.start();
      else time.advance(delays.at(-1)!);
      delays.push(await scheduled);
      expect(t2.announces).toHaveLength(round);
    }
    expect(delays).toEqual([15_750, 31_500, 63_000, 126_000]); // 15 s doubling, +5% jitter
    expect(warnings.items).toHaveLength(2); // one per tracker: repeated identical failures are not repeated
    a.requestPeers(); // starving: may pull the retry in, but not closer than the floor
    expect(time.nextDelayMs).toBe(REQUEST_PEERS_BACKOFF_FLOOR_MS);
    t2.reply = okReply({ intervalSec: 600 });
    const scheduled = time.nextTimer();
    time.advance(REQUEST_PEERS_BACKOFF_FLOOR_MS);
    await peers.waitFor(1);
    expect(await scheduled).toBe(600_000);
  });

  test("requestPeers does not shorten an early backoff below the floor", async () => {
    const t = await tracker({ kind: "status", status: 500 });
    const { a, time } = announcer([[t.url]]);
    const scheduled = time.nextTimer();
    a.start();
    expect(await scheduled).toBe(BACKOFF_INITIAL_MS);
    a.requestPeers();
    expect(time.nextDelayMs).toBe(BACKOFF_INITIAL_MS);
    expect(t.announces).toHaveLength(1);
  });

  test("with no usable tracker, start() only warns", async () => {
    const { a, time, warnings } = announcer([["wss://127.0.0.1:1/announce"]]);
    a.start();
    a.requestPeers();
    a.completed();
    expect(warnings.items).toEqual(["wss trackers are not supported: wss://127.0.0.1:1/announce"]);
    expect(time.pending).toBe(0);
    await a.stop();
  });

  test("a throwing onPeers hook does not stop announcing", async () => {
    const t = await tracker();
    const onPeers = () => {
      throw new Error("swarm bug");
    };
    const { a, time } = announcer([[t.url]], { hooks: { getStats: () => ({ uploaded: 0, downloaded: 0, left: 1 }), onPeers } });
    const scheduled = time.nextTimer();
    a.start();
    expect(await scheduled).toBe(1_800_000);
  });
});
