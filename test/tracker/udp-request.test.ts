// Tests for the UDP tracker client (BEP 15) against a fake UDP tracker on 127.0.0.1: round trips, connection
// id caching, retransmission, transaction id checks, errors, timeouts, scrape. No sleeps: fake time or events.

import { afterEach, describe, expect, test } from "bun:test";
import { TrackerError, utf8 } from "../../src/util/index.ts";
import {
  UDP_EVENT,
  announceResponseFromUdp,
  createUdpTrackerClient,
  encodeAnnounceResponse,
  encodeConnectResponse,
  encodeScrapeResponse,
  scrapeUdp,
  type AnnounceParams,
  type UdpTrackerClient,
  type UdpTrackerClientOptions,
} from "../../src/tracker/index.ts";
import { FAKE_UDP_PEERS, startFakeUdpTracker, type FakeUdpTracker } from "../helpers/fake-udp-tracker.ts";
import { FakeTime } from "../helpers/fake-time.ts";

const infoHash = new Uint8Array(20).fill(0x42);
const peerId = utf8("-RP0100-abcdefghijkl");
const params: AnnounceParams = { infoHash, peerId, port: 6881, uploaded: 1, downloaded: 24, left: 976, event: "started", numWant: 50, key: "0a1b2c3d", compact: true };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tracker(reply?: FakeUdpTracker["reply"]): Promise<FakeUdpTracker> {
  const t = await startFakeUdpTracker(reply);
  cleanups.push(() => t.close());
  return t;
}

function client(opts: UdpTrackerClientOptions = {}): UdpTrackerClient {
  const c = createUdpTrackerClient(opts);
  cleanups.push(() => c.close());
  return c;
}

function rejection(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => {
      throw new Error("expected a TrackerError");
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(TrackerError);
      return (err as Error).message;
    },
  );
}

describe("udp tracker client", () => {
  test("connect + announce round trip: every field on the wire, the reply in the HTTP shape", async () => {
    const t = await tracker({ kind: "ok", seeders: 3, leechers: 4, intervalSec: 900 });
    const reply = await client().announce(t.url, params);
    expect(reply).toEqual({ intervalSec: 900, complete: 3, incomplete: 4, peers: FAKE_UDP_PEERS });
    expect(t.packets.map((p) => p.request?.action)).toEqual(["connect", "announce"]);
    expect(t.announces[0]).toEqual({
      action: "announce", connectionId: 0x5eed_0000_0000_0001n, transactionId: t.announces[0]!.transactionId, infoHash, peerId,
      downloaded: 24n, left: 976n, uploaded: 1n, event: UDP_EVENT.started, key: 0x0a1b2c3d, numWant: 50, port: 6881,
    });
  });

  test("numwant defaults to -1 and no event is 0", async () => {
    const t = await tracker();
    const { event: _e, numWant: _n, ...plain } = params;
    await client().announce(t.url, plain);
    expect(t.announces[0]).toMatchObject({ event: UDP_EVENT.none, numWant: -1 });
  });

  test("the connection id is reused within 60 s and fetched again after (fake clock)", async () => {
    const t = await tracker();
    const time = new FakeTime();
    const c = client({ clock: time });
    await c.announce(t.url, params);
    time.advance(59_999);
    await c.announce(t.url, params);
    expect(t.connects).toBe(1);
    time.advance(1);
    await c.announce(t.url, params);
    expect(t.connects).toBe(2);
    expect(t.announces.map((a) => a.connectionId)).toEqual([0x5eed_0000_0000_0001n, 0x5eed_0000_0000_0001n, 0x5eed_0000_0000_0002n]);
    expect(t.packets.some((p) => p.badConnectionId)).toBe(false);
  });

  test("a lost first packet is retransmitted with the same transaction id", async () => {
    const t = await tracker();
    t.dropNext = 1;
    expect((await client({ retryBaseMs: 20 }).announce(t.url, params)).peers).toEqual(FAKE_UDP_PEERS);
    const [lost, resent, announce] = t.packets;
    expect(lost!.dropped).toBe(true);
    expect(resent!.request).toEqual(lost!.request!);
    expect(announce!.request?.action).toBe("announce");
  });

  test("retransmits after 15 * 2^n s with n capped at 8, then gives up", async () => {
    const t = await tracker({ kind: "drop" });
    const time = new FakeTime();
    const c = client({ clock: time, timers: time, maxRetries: 9 });
    let next = time.nextTimer();
    const result = rejection(c.announce(t.url, params));
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      delays.push(await next);
      next = time.nextTimer();
      time.advance(delays.at(-1)!);
    }
    expect(await result).toBe("no reply to connect after 10 tries");
    expect(delays).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 8].map((n) => 15_000 * 2 ** n));
    expect((await t.waitForPackets(10)).every((p) => p.request?.action === "connect")).toBe(true);
    expect(time.pending).toBe(0);
  });

  test("a connection id that expires while retrying is fetched again before the next try", async () => {
    const t = await tracker((req) => (req.action === "announce" && t.announces.length <= 3 ? { kind: "drop" } : { kind: "ok" }));
    const time = new FakeTime();
    // The clock alone: retransmissions run on its timers too.
    const result = client({ clock: time }).announce(t.url, params);
    for (const [count, wait] of [[1, 15_000], [2, 30_000], [3, 60_000]] as const) {
      await t.waitForAnnounces(count);
      time.advance(wait); // the third retry would come at 105 s, after the id expired at 60 s
    }
    expect((await result).peers).toEqual(FAKE_UDP_PEERS);
    expect(t.packets.map((p) => p.request?.action)).toEqual(["connect", "announce", "announce", "announce", "connect", "announce"]);
    expect(t.announces[3]!.connectionId).toBe(0x5eed_0000_0000_0002n);
  });

  test("replies with another transaction id, another action, or from another port are ignored", async () => {
    const bogus = (tid: number) => encodeAnnounceResponse({ transactionId: tid, intervalSec: 60, leechers: 0, seeders: 0, peers: [{ host: "10.9.9.9", port: 9 }] });
    const t = await tracker((req) =>
      req.action !== "announce" ? { kind: "ok" } : [
        { kind: "bytes", bytes: bogus((req.transactionId + 1) >>> 0) },
        { kind: "bytes", bytes: encodeConnectResponse({ transactionId: req.transactionId, connectionId: 7n }) },
        { kind: "bytes", bytes: bogus(req.transactionId), spoofed: true },
        { kind: "bytes", bytes: new Uint8Array([1, 2, 3]) },
        { kind: "ok" },
      ],
    );
    expect((await client().announce(t.url, params)).peers).toEqual(FAKE_UDP_PEERS);
  });

  test("an error action fails the request with the tracker's message", async () => {
    const t = await tracker((req) => (req.action === "connect" ? { kind: "ok" } : { kind: "error", message: "torrent\nnot registered\0" }));
    expect(await rejection(client().announce(t.url, params))).toBe("tracker failure: torrent not registered");
    const refusing = await tracker({ kind: "error", message: "" });
    expect(await rejection(client().announce(refusing.url, params))).toBe("tracker failure: no message");
  });

  test("a malformed reply with our transaction id fails the request and forgets the connection id", async () => {
    const t = await tracker((req, i) =>
      i === 1 ? { kind: "bytes", bytes: encodeAnnounceResponse({ transactionId: req.transactionId, intervalSec: 1, leechers: 0, seeders: 0, peers: [] }).subarray(0, 13) } : { kind: "ok" },
    );
    const c = client();
    expect(await rejection(c.announce(t.url, params))).toBe("udp tracker reply: announce: 13 bytes, expected at least 20");
    await c.announce(t.url, params);
    expect(t.connects).toBe(2);
  });

  test("a tracker that forgot our connection id: the error is reported and the next announce reconnects", async () => {
    const t = await tracker();
    const c = client();
    await c.announce(t.url, params);
    t.expireConnectionIds();
    expect(await rejection(c.announce(t.url, params))).toBe("tracker failure: bad connection id");
    await c.announce(t.url, params);
    expect(t.connects).toBe(2);
  });

  test("timeoutMs bounds the whole exchange and clears its timers", async () => {
    const t = await tracker({ kind: "drop" });
    const time = new FakeTime();
    let next = time.nextTimer();
    const result = rejection(client({ clock: time, timers: time }).announce(t.url, params, { timeoutMs: 20_000 }));
    while ((await next) !== 15_000) next = time.nextTimer(); // the retransmission timer is armed
    time.advance(20_000);
    expect(await result).toBe("timed out after 20000 ms");
    expect(time.pending).toBe(0);
    expect(await t.waitForPackets(2)).toHaveLength(2); // sent at 0 and 15 s
  });

  test("an abort signal cancels; close() fails requests in flight and refuses later ones", async () => {
    const t = await tracker({ kind: "drop" });
    const c = client();
    const abort = new AbortController();
    const cancelled = rejection(c.announce(t.url, params, { signal: abort.signal }));
    await t.waitForPackets(1);
    abort.abort(new TrackerError("announcer stopped"));
    expect(await cancelled).toBe("announcer stopped");
    const inFlight = rejection(c.announce(t.url, params));
    await t.waitForPackets(2);
    c.close();
    expect(await inFlight).toBe("udp tracker client closed");
    expect(await rejection(c.announce(t.url, params))).toBe("udp tracker client closed");
  });

  test("bad URLs are refused", async () => {
    const c = client();
    expect(await rejection(c.announce("udp://127.0.0.1/announce", params))).toBe("bad udp tracker url: udp://127.0.0.1/announce");
    expect(await rejection(c.announce("http://127.0.0.1:1/announce", params))).toStartWith("bad udp tracker url");
  });

  test("scrape: entries in request order, batches of 74 over one connection", async () => {
    const t = await tracker({ kind: "ok", scrape: (h) => ({ seeders: h[0]!, completed: h[1]!, leechers: 1 }) });
    const hashes = Array.from({ length: 75 }, (_, i) => new Uint8Array(20).fill(i).fill(2 * i, 1));
    const results = await scrapeUdp(t.url, hashes, { timeoutMs: 5000 });
    expect(results).toHaveLength(75);
    expect(results[74]).toEqual({ infoHash: hashes[74]!, seeders: 74, completed: 148, leechers: 1 });
    expect(t.packets.map((p) => p.request?.action)).toEqual(["connect", "scrape", "scrape"]);
  });

  test("scrape: fewer entries than hashes is an error", async () => {
    const t = await tracker((req) =>
      req.action === "scrape" ? { kind: "bytes", bytes: encodeScrapeResponse({ transactionId: req.transactionId, entries: [{ seeders: 1, completed: 1, leechers: 1 }] }) } : { kind: "ok" },
    );
    expect(await rejection(client().scrape(t.url, [infoHash, infoHash]))).toBe("udp tracker reply: scrape: 1 entries for 2 info hashes");
  });
});

describe("announceResponseFromUdp", () => {
  test("clamps the interval, drops port 0 and unspecified addresses, dedupes, leaves out negative counts", () => {
    const peers = [{ host: "10.0.0.1", port: 1 }, { host: "10.0.0.1", port: 1 }, { host: "10.0.0.2", port: 0 }, { host: "0.0.0.0", port: 5 }, { host: "::", port: 5 }, { host: "::1", port: 2 }];
    expect(announceResponseFromUdp({ transactionId: 1, intervalSec: 5, leechers: -1, seeders: 0, peers })).toEqual({
      intervalSec: 30,
      complete: 0,
      peers: [{ host: "10.0.0.1", port: 1 }, { host: "::1", port: 2 }],
    });
    expect(announceResponseFromUdp({ transactionId: 1, intervalSec: 2 ** 31 - 1, leechers: 2, seeders: -5, peers: [] })).toEqual({ intervalSec: 86_400, incomplete: 2, peers: [] });
  });

  test("caps the peers taken from one reply", () => {
    const peers = Array.from({ length: 1500 }, (_, i) => ({ host: `10.0.${i >> 8}.${i & 255}`, port: 1 }));
    expect(announceResponseFromUdp({ transactionId: 1, intervalSec: 60, leechers: 0, seeders: 0, peers }).peers).toHaveLength(1000);
  });
});
