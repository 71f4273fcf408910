// Tests for the tracker announcer with UDP trackers (BEP 15) on 127.0.0.1, alone and mixed with HTTP
// trackers in BEP 12 tiers: events, connection id reuse on the announcer's clock, failover both ways,
// warnings, `stopped`. Scheduling, retransmissions and request timeouts run on fake timers; no sleeps.

import { afterEach, describe, expect, test } from "bun:test";
import { STOP_ANNOUNCE_TIMEOUT_MS, UDP_ANNOUNCE_RETRY_BASE_MS, UDP_EVENT, createUdpTrackerClient, isUdpTracker, planTiers } from "../../src/tracker/index.ts";
import { PEERS, announcer, closeAll, infoHash, peerId, tracker } from "../helpers/announcer-harness.ts";
import { settle } from "../helpers/fake-time.ts";
import { FAKE_UDP_PEERS, startFakeUdpTracker, type FakeUdpTracker } from "../helpers/fake-udp-tracker.ts";
import { freePort } from "../helpers/ports.ts";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  await closeAll(); // announcers first: they may send `stopped`
  for (const c of closers.splice(0)) await c();
});

async function udpTracker(reply?: FakeUdpTracker["reply"]): Promise<FakeUdpTracker> {
  const t = await startFakeUdpTracker(reply);
  closers.push(() => t.close());
  return t;
}

/** A udp:// URL nobody answers on (a free port on 127.0.0.1). */
const deadUdpUrl = async () => `udp://127.0.0.1:${await freePort({ udp: true })}/announce`;

describe("tiers with udp:// (BEP 12 + BEP 15)", () => {
  test("keeps udp://host:port next to http(s), refuses udp URLs without a usable host and port", () => {
    const plan = planTiers(
      [["udp://t.example:6969/announce", "http://t.example/a"], ["udp://[::1]:1", "udp://t.example/x", "udp://t.example:0/", "udp:t.example:1", "UDP://T.example:2"]],
      (x) => x,
    );
    expect(plan.tiers).toEqual([["udp://t.example:6969/announce", "http://t.example/a"], ["udp://[::1]:1", "UDP://T.example:2"]]);
    expect(plan.skipped).toEqual(["udp://t.example/x", "udp://t.example:0/", "udp:t.example:1"].map((u) => `bad udp tracker url (expected udp://host:port): ${u}`));
    expect([isUdpTracker("UDP://a:1"), isUdpTracker("http://a/udp://")]).toEqual([true, false]);
  });
});

describe("announcer over UDP", () => {
  test("announces started with every field and delivers peers with the tracker as source", async () => {
    const t = await udpTracker();
    const { a, peers, stats } = announcer([[t.url]]);
    stats.downloaded = 24;
    stats.left = 976;
    a.start();
    expect((await peers.waitFor(1))[0]).toEqual({ peers: FAKE_UDP_PEERS, source: t.url });
    expect(t.announces[0]).toMatchObject({ infoHash, peerId, port: 6881, downloaded: 24n, left: 976n, uploaded: 0n, event: UDP_EVENT.started, numWant: 50 });
    expect(t.announces[0]!.key).toBeGreaterThan(0);
  });

  test("re-announces reuse the connection id for 60 s on the announcer's clock, then reconnect", async () => {
    const t = await udpTracker({ kind: "ok", intervalSec: 30 });
    const { a, time, peers } = announcer([[t.url]]);
    let scheduled = time.nextTimer();
    a.start();
    for (let round = 2; round <= 3; round++) {
      const delay = await scheduled;
      expect(delay).toBe(30_000);
      scheduled = time.nextTimer();
      time.advance(delay);
      await peers.waitFor(round);
    }
    expect(t.announces.map((x) => x.event)).toEqual([UDP_EVENT.started, UDP_EVENT.none, UDP_EVENT.none]);
    expect(t.connects).toBe(2); // at 0 s, reused at 30 s, expired at 60 s
  });

  test("completed goes out over UDP as event 1", async () => {
    const t = await udpTracker();
    const { a, peers, stats } = announcer([[t.url]]);
    a.start();
    await peers.waitFor(1);
    stats.left = 0;
    a.completed();
    expect((await t.waitForAnnounces(2))[1]).toMatchObject({ event: UDP_EVENT.completed, left: 0n });
  });

  test("a lost datagram is retransmitted after 3 s, then 6 s, within the announce timeout", async () => {
    const t = await udpTracker();
    t.dropNext = 2; // the connect and its first retransmission
    const { a, requestTime, peers, warnings } = announcer([[t.url]]);
    a.start();
    await t.waitForPackets(1);
    expect(requestTime.nextDelayMs).toBe(UDP_ANNOUNCE_RETRY_BASE_MS);
    requestTime.advance(UDP_ANNOUNCE_RETRY_BASE_MS);
    await t.waitForPackets(2);
    expect(requestTime.nextDelayMs).toBe(2 * UDP_ANNOUNCE_RETRY_BASE_MS);
    requestTime.advance(2 * UDP_ANNOUNCE_RETRY_BASE_MS);
    await peers.waitFor(1);
    expect(warnings.items).toEqual([]);
    expect(t.packets.map((p) => p.dropped)).toEqual([true, true, false, false]);
  });

  test("an error action is a warning naming the tracker, and the next tier is used", async () => {
    const t = await udpTracker((req) => (req.action === "connect" ? { kind: "ok" } : { kind: "error", message: "unregistered torrent" }));
    const http = await tracker();
    const { a, peers, warnings } = announcer([[t.url], [http.url]]);
    a.start();
    expect((await peers.waitFor(1))[0]!.source).toBe(http.url);
    expect(warnings.items).toEqual([`tracker ${t.url} failed: tracker failure: unregistered torrent`]);
  });

  test("mixed tiers: a silent UDP tracker falls over to the HTTP tracker of the next tier at the timeout", async () => {
    const silent = await udpTracker({ kind: "drop" });
    const http = await tracker();
    const { a, requestTime, peers, warnings } = announcer([[silent.url], [http.url]]);
    a.start();
    await silent.waitForPackets(1);
    requestTime.advance(9_999); // retransmitted at 3 and 9 s
    await silent.waitForPackets(3);
    expect(warnings.items).toEqual([]); // a timeout would have warned at once (no I/O in between)
    requestTime.advance(1);
    expect(await peers.waitFor(1)).toEqual([{ peers: PEERS, source: http.url }]);
    expect(warnings.items).toEqual([`tracker ${silent.url} failed: timed out after 10000 ms`]);
  });

  test("mixed tiers: a failing HTTP tracker falls over to the UDP tracker of the next tier", async () => {
    const http = await tracker({ kind: "status", status: 502 });
    const t = await udpTracker();
    const { a, peers, warnings } = announcer([[http.url], [t.url]]);
    a.start();
    expect(await peers.waitFor(1)).toEqual([{ peers: FAKE_UDP_PEERS, source: t.url }]);
    expect(warnings.items).toEqual([`tracker ${http.url} failed: http status 502`]);
  });

  test("within a tier, a UDP tracker that answers is promoted over a dead one", async () => {
    const dead = await deadUdpUrl();
    const t = await udpTracker();
    const { a, time, requestTime, peers } = announcer([[dead, t.url]]);
    const scheduled = time.nextTimer();
    a.start();
    expect(await requestTime.nextTimer()).toBe(UDP_ANNOUNCE_RETRY_BASE_MS); // the connect went out
    requestTime.advance(10_000);
    await peers.waitFor(1);
    time.advance(await scheduled);
    await peers.waitFor(2); // straight to the promoted tracker: no second timeout (request time stands still)
    expect(t.announces).toHaveLength(2);
  });

  test("stop() sends stopped over UDP with numwant 0 on the cached connection", async () => {
    const t = await udpTracker();
    const { a, peers } = announcer([[t.url]]);
    a.start();
    await peers.waitFor(1);
    await a.stop();
    expect(t.announces.at(-1)).toMatchObject({ event: UDP_EVENT.stopped, numWant: 0 });
    expect(t.connects).toBe(1);
  });

  test("stop() gives up on a UDP tracker that ignores stopped at the stop timeout, after retransmitting", async () => {
    const t = await udpTracker((req) => (req.action === "announce" && req.event === UDP_EVENT.stopped ? { kind: "drop" } : { kind: "ok" }));
    const { a, requestTime, peers } = announcer([[t.url]], { stopTimeoutMs: undefined }); // the default bound
    a.start();
    await peers.waitFor(1);
    let stopped = false;
    const stopping = a.stop().then(() => (stopped = true));
    expect((await t.waitForAnnounces(2))[1]!.event).toBe(UDP_EVENT.stopped);
    requestTime.advance(STOP_ANNOUNCE_TIMEOUT_MS - 1); // one retransmission at 3 s
    expect((await t.waitForAnnounces(3))[2]!.event).toBe(UDP_EVENT.stopped);
    await settle();
    expect(stopped).toBe(false);
    requestTime.advance(1);
    await stopping;
    expect(requestTime.pending).toBe(0);
  });

  test("a shared UDP client serves several announcers and outlives them", async () => {
    const t = await udpTracker();
    const udpClient = createUdpTrackerClient();
    closers.push(() => udpClient.close());
    const one = announcer([[t.url]], { udpClient });
    const two = announcer([[t.url]], { udpClient, peerId: peerId.map((b, i) => (i === 19 ? 0x5a : b)) });
    one.a.start();
    await one.peers.waitFor(1);
    two.a.start();
    await two.peers.waitFor(1);
    await one.a.stop();
    await two.a.stop();
    expect(t.connects).toBe(1);
    expect((await udpClient.announce(t.url, { infoHash, peerId, port: 1, uploaded: 0, downloaded: 0, left: 0, compact: true })).peers).toEqual(FAKE_UDP_PEERS);
  });
});
