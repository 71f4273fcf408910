// DHT announcer (BEP 5): the tracker Announcer's shape, the 15-minute schedule, early lookups at most once a
// minute, retries, stop; driven by fake time over a scripted node, plus one run over real loopback nodes.

import { describe, expect, test } from "bun:test";
import {
  DHT_ANNOUNCE_INTERVAL_MS,
  DHT_MIN_REQUEST_INTERVAL_MS,
  DHT_RETRY_MS,
  createDhtAnnouncer,
  startDhtNode,
  type DhtAnnounceResult,
} from "../../src/dht/index.ts";
import { randomBytes, type Announcer, type PeerAddress } from "../../src/util/index.ts";
import { FakeTime, Recorder } from "../helpers/fake-time.ts";

const INFO_HASH = new Uint8Array(20).fill(0xab);
const PEER = { host: "127.0.0.1", port: 6881 };

/** A node whose announce/getPeers calls wait until the test settles them. */
class ScriptedNode {
  readonly calls = new Recorder<{ kind: "announce" | "getPeers"; port?: number; settle(result: DhtAnnounceResult | Error): void }>();
  announce(infoHash: Uint8Array, port: number): Promise<DhtAnnounceResult> {
    expect(infoHash).toEqual(INFO_HASH);
    const { promise, resolve, reject } = Promise.withResolvers<DhtAnnounceResult>();
    this.calls.push({ kind: "announce", port, settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    return promise;
  }
  getPeers(): Promise<PeerAddress[]> {
    const { promise, resolve, reject } = Promise.withResolvers<PeerAddress[]>();
    this.calls.push({ kind: "getPeers", settle: (r) => (r instanceof Error ? reject(r) : resolve(r.peers)) });
    return promise;
  }
}

function setup() {
  const time = new FakeTime();
  const node = new ScriptedNode();
  const peers = new Recorder<{ peers: PeerAddress[]; source: string }>();
  const hooks = { getStats: () => ({ uploaded: 0, downloaded: 0, left: 10 }), onPeers: (p: PeerAddress[], source: string) => peers.push({ peers: p, source }) };
  // Assigning to the tracker's Announcer type checks the shape is exactly the same.
  // The clock alone: its timers are the schedule's too (what the Client passes).
  const announcer: Announcer = createDhtAnnouncer({ node, infoHash: INFO_HASH, port: 5000, hooks, clock: time });
  return { time, node, peers, announcer };
}

describe("dht announcer", () => {
  test("announces on start, reports peers as 'dht', and again every 15 minutes", async () => {
    const { time, node, peers, announcer } = setup();
    announcer.start();
    const [first] = await node.calls.waitFor(1);
    expect(first).toMatchObject({ kind: "announce", port: 5000 });
    const timer = time.nextTimer();
    first!.settle({ peers: [PEER], announcedTo: 8 });
    expect(await timer).toBe(DHT_ANNOUNCE_INTERVAL_MS);
    expect(peers.items).toEqual([{ peers: [PEER], source: "dht" }]);
    time.advance(DHT_ANNOUNCE_INTERVAL_MS);
    expect((await node.calls.waitFor(2))[1]!.kind).toBe("announce");
    await announcer.stop();
  });

  test("a round that reached no node, or failed, retries after a minute", async () => {
    const { time, node, announcer } = setup();
    announcer.start();
    let timer = time.nextTimer();
    (await node.calls.waitFor(1))[0]!.settle({ peers: [], announcedTo: 0 });
    expect(await timer).toBe(DHT_RETRY_MS);
    time.advance(DHT_RETRY_MS);
    timer = time.nextTimer();
    (await node.calls.waitFor(2))[1]!.settle(new Error("dht node stopped"));
    expect(await timer).toBe(DHT_RETRY_MS);
    await announcer.stop();
  });

  test("requestPeers runs an early lookup at most once a minute, never during a round", async () => {
    const { time, node, peers, announcer } = setup();
    announcer.requestPeers(); // not started: nothing
    announcer.start();
    await node.calls.waitFor(1);
    announcer.requestPeers(); // the start round is still running
    const timer = time.nextTimer();
    node.calls.items[0]!.settle({ peers: [], announcedTo: 3 });
    await timer;
    announcer.requestPeers(); // within a minute of the last lookup
    expect(node.calls.items.length).toBe(1);
    time.advance(DHT_MIN_REQUEST_INTERVAL_MS);
    announcer.requestPeers();
    const [, early] = await node.calls.waitFor(2);
    expect(early!.kind).toBe("getPeers");
    early!.settle({ peers: [PEER], announcedTo: 0 });
    await peers.waitFor(2);
    expect(peers.items[1]).toEqual({ peers: [PEER], source: "dht" });
    // The early lookup left the 15-minute announce where it was.
    expect(time.nextDelayMs).toBe(DHT_ANNOUNCE_INTERVAL_MS - DHT_MIN_REQUEST_INTERVAL_MS);
    announcer.completed(); // nothing to tell the DHT
    await announcer.stop();
  });

  test("stop cancels the schedule and drops the result of a round in flight", async () => {
    const { time, node, peers, announcer } = setup();
    announcer.start();
    await node.calls.waitFor(1);
    await announcer.stop();
    node.calls.items[0]!.settle({ peers: [PEER], announcedTo: 8 });
    await Promise.resolve();
    await Promise.resolve();
    expect(peers.items).toEqual([]);
    expect(time.pending).toBe(0);
    announcer.requestPeers();
    announcer.start(); // a stopped announcer stays stopped
    expect(node.calls.items.length).toBe(1);
  });

  test("over real loopback nodes: the announcer's port is found by another node", async () => {
    const limits = { perIpPerSecond: 1e6, perIpBurst: 1e6, totalPerSecond: 1e6 };
    const seed = await startDhtNode({ host: "127.0.0.1", port: 0, bootstrap: [], replyLimits: limits });
    const boot = [{ host: "127.0.0.1", port: seed.port }];
    const others = await Promise.all(Array.from({ length: 6 }, () => startDhtNode({ host: "127.0.0.1", port: 0, bootstrap: boot, replyLimits: limits })));
    try {
      await Promise.all(others.map((n) => n.ready));
      const infoHash = randomBytes(20);
      const peers = new Recorder<string>();
      const announcer = createDhtAnnouncer({
        node: others[0]!,
        infoHash,
        port: 4321,
        hooks: { getStats: () => ({ uploaded: 0, downloaded: 0, left: 0 }), onPeers: (_p, source) => peers.push(source) },
      });
      announcer.start();
      expect(await peers.waitFor(1)).toEqual(["dht"]);
      await announcer.stop();
      expect(await others[5]!.getPeers(infoHash)).toContainEqual({ host: "127.0.0.1", port: 4321 });
    } finally {
      await Promise.all([seed, ...others].map((n) => n.stop()));
    }
  }, 20_000);
});
