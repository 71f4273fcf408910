// Tests for the tracker announcer against fake HTTP trackers on 127.0.0.1: BEP 3 events and fields,
// BEP 12 tier failover and promotion, warnings. Scheduling and request timeouts run on fake timers; no sleeps.

import { afterEach, describe, expect, test } from "bun:test";
import { toHex } from "../../src/util/index.ts";
import type { FakeTracker } from "../helpers/fake-tracker.ts";
import { BACKOFF_INITIAL_MS } from "../../src/tracker/index.ts";
import { PEERS, announcer, closeAll, infoHash, okReply, peerId, tracker } from "../helpers/announcer-harness.ts";
import { freePort } from "../helpers/ports.ts";

afterEach(closeAll);

describe("announcer", () => {
  test("first announce: started with every field, peers delivered with the tracker as source", async () => {
    const t = await tracker();
    const url = t.url + "?passkey=s3cret";
    const { a, peers, stats } = announcer([[url]]);
    stats.downloaded = 24;
    stats.left = 976;
    a.start();
    const [first] = await t.waitForAnnounces(1);
    expect(first!.path).toBe("/announce");
    expect(toHex(first!.infoHash!)).toBe(toHex(infoHash));
    expect(first!.peerId).toEqual(peerId);
    expect(first).toMatchObject({ port: 6881, uploaded: 0, downloaded: 24, left: 976, event: "started" });
    expect(first).toMatchObject({ numWant: 50, compact: "1", noPeerId: "1" });
    expect(first!.key).toMatch(/^[0-9a-f]{8}$/);
    expect(new TextDecoder().decode(first!.query.get("passkey"))).toBe("s3cret");
    const [got] = await peers.waitFor(1);
    expect(got).toEqual({ peers: PEERS, source: t.url }); // the passkey stays out of sources and logs
  });

  test("re-announces after interval without an event, echoing the tracker id", async () => {
    const t = await tracker(okReply({ intervalSec: 900, trackerId: "tid-7" }));
    const { a, time, stats } = announcer([[t.url]]);
    const scheduled = time.nextTimer();
    a.start();
    expect(await scheduled).toBe(900_000);
    stats.left = 0;
    time.advance(900_000);
    const [, second] = await t.waitForAnnounces(2);
    expect(second).toMatchObject({ event: undefined, trackerId: "tid-7", left: 0 });
  });

  /** Each way a tracker can fail; a FakeTracker is returned when there is one to count announces on. */
  const failures: [string, (closedPort: number) => Promise<FakeTracker | string>, RegExp][] = [
    ["http 500", () => tracker({ kind: "status", status: 500 }), /http status 500/],
    ["a hang", () => tracker({ kind: "hang" }), /timed out after 120000 ms/],
    ["a closed port", async (port) => `http://127.0.0.1:${port}/announce`, /request failed/],
    ["garbage", () => tracker({ kind: "body", body: "<html>" }), /not valid bencode/],
    ["failure reason", () => tracker({ kind: "failure", reason: "go away" }), /tracker failure: go away/],
  ];
  test.each(failures)("fails over within a tier after %s, then keeps the good tracker first", async (name, makeBad, why) => {
    const bad = await makeBad(await freePort());
    const badUrl = typeof bad === "string" ? bad : bad.url;
    const good = await tracker();
    // Longer than the test's own timeout: only the announcer's request timers can end the hang.
    const { a, time, requestTime, warnings, peers } = announcer([[badUrl, good.url]], { timeoutMs: 120_000 });
    const scheduled = time.nextTimer();
    a.start();
    if (name === "a hang") {
      await (bad as FakeTracker).waitForAnnounces(1);
      expect(requestTime.nextDelayMs).toBe(120_000);
      requestTime.advance(120_000);
    }
    expect((await peers.waitFor(1))[0]!.source).toBe(good.url);
    const [warning] = await warnings.waitFor(1);
    expect(warning).toStartWith(`tracker ${badUrl} failed: `);
    expect(warning).toMatch(why);
    time.advance(await scheduled);
    await peers.waitFor(2);
    expect(good.announces).toHaveLength(2);
    if (typeof bad !== "string") expect(bad.announces).toHaveLength(1); // not tried again: good is first now
  });

  test("dictionary peers and peers6 from a live reply reach onPeers", async () => {
    const v6 = { host: "::1", port: 7000 };
    const t = await tracker(okReply({ format: "dict", peers6: [v6] }));
    const { a, peers } = announcer([[t.url]]);
    a.start();
    expect((await peers.waitFor(1))[0]!.peers).toEqual([...PEERS, v6]);
  });

  test("falls over to the next tier, and tries the first tier again next time (BEP 12)", async () => {
    const bad = await tracker({ kind: "status", status: 503 });
    const good = await tracker();
    const { a, time, peers, warnings } = announcer([[bad.url], [good.url]]);
    const scheduled = time.nextTimer();
    a.start();
    await peers.waitFor(1);
    time.advance(await scheduled);
    await good.waitForAnnounces(2);
    expect(bad.announces).toHaveLength(2);
    expect(warnings.items).toEqual([`tracker ${bad.url} failed: http status 503`]); // same failure warns once
  });

  test("a tracker that answers moves to the front of its tier", async () => {
    const first = await tracker();
    const second = await tracker();
    const { a, time, peers } = announcer([[first.url, second.url]]);
    first.reply = (_ann, i) => (i === 0 ? okReply() : { kind: "status", status: 500 });
    let scheduled = time.nextTimer();
    a.start();
    await peers.waitFor(1);
    time.advance(await scheduled);
    scheduled = time.nextTimer();
    await peers.waitFor(2); // first failed, second answered and became first
    time.advance(await scheduled);
    await second.waitForAnnounces(2);
    expect(first.announces).toHaveLength(2);
  });

  test("surfaces the tracker's warning message", async () => {
    const t = await tracker(okReply({ warning: "please upgrade" }));
    const { a, warnings } = announcer([[t.url]]);
    a.start();
    expect(await warnings.waitFor(1)).toEqual([`tracker ${t.url} warns: please upgrade`]);
  });

  test("completed is sent once, then plain announces", async () => {
    const t = await tracker();
    const { a, time, peers, stats } = announcer([[t.url]]);
    const scheduled = time.nextTimer();
    a.start();
    await peers.waitFor(1);
    await scheduled;
    stats.left = 0;
    const rescheduled = time.nextTimer();
    a.completed();
    a.completed();
    expect((await t.waitForAnnounces(2))[1]).toMatchObject({ event: "completed", left: 0 });
    a.completed();
    time.advance(await rescheduled);
    const all = await t.waitForAnnounces(3);
    expect(all.map((x) => x.event)).toEqual(["started", "completed", undefined]);
  });

  test("completed() during the first announce goes out right after it", async () => {
    const t = await tracker();
    const { a, time } = announcer([[t.url]]);
    const scheduled = time.nextTimer();
    a.start();
    a.completed();
    expect(await scheduled).toBe(0);
    time.advance(0);
    expect((await t.waitForAnnounces(2)).map((x) => x.event)).toEqual(["started", "completed"]);
  });

  test("completed() before any announce succeeded replaces started", async () => {
    const t = await tracker({ kind: "status", status: 500 });
    const { a, time } = announcer([[t.url]]);
    const scheduled = time.nextTimer();
    a.start();
    await scheduled;
    a.completed();
    t.reply = okReply();
    time.advance(BACKOFF_INITIAL_MS);
    expect((await t.waitForAnnounces(2)).map((x) => x.event)).toEqual(["started", "completed"]);
  });

  test("a torrent that starts complete never sends completed", async () => {
    const t = await tracker();
    const { a, time, peers, stats } = announcer([[t.url]]);
    stats.left = 0;
    const scheduled = time.nextTimer();
    a.start();
    a.completed();
    await peers.waitFor(1);
    expect(await scheduled).toBe(1_800_000);
    expect(t.announces.map((x) => x.event)).toEqual(["started"]);
  });

  test("wss:// and udp:// without a port are skipped with a warning", async () => {
    const t = await tracker();
    const { a, warnings, peers } = announcer([["udp://127.0.0.1/announce", "wss://127.0.0.1:1/x"], [t.url]]);
    a.start();
    await peers.waitFor(1);
    expect(warnings.items).toEqual([
      "bad udp tracker url (expected udp://host:port): udp://127.0.0.1/announce",
      "wss trackers are not supported: wss://127.0.0.1:1/x",
    ]);
  });
});
