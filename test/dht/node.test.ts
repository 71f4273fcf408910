// DHT node (BEP 5) on real UDP sockets, loopback only: 21 ripple nodes and one `bittorrent-dht` node
// (an independent implementation) find each other's announces; a node restarts from its state file; hostile
// packets neither crash it nor grow its memory. Every address here is 127.0.0.x; bootstrap lists are explicit.
// Where a test is about query timeouts, the node runs on a fake clock and the nodes that never answer are
// silent sockets: their queries time out when the test advances the clock, live nodes are never hurried.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import DHT from "bittorrent-dht";
import { decodeKrpc, encodeQuery, startDhtNode, type DhtNode, type DhtNodeOptions, type KrpcMessage } from "../../src/dht/index.ts";
import { randomBytes, type PeerAddress } from "../../src/util/index.ts";
import { FakeTime, Recorder, settle } from "../helpers/fake-time.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const LOOPBACK = "127.0.0.1";
/** Every node here shares one IP, so the per-IP reply limit is lifted for the swarm. */
const SWARM_LIMITS = { perIpPerSecond: 1e6, perIpBurst: 1e6, totalPerSecond: 1e6 };
const NET_TIMEOUT_MS = 20_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function start(bootstrap: PeerAddress[], extra: Partial<DhtNodeOptions> = {}): Promise<DhtNode> {
  return startDhtNode({ host: LOOPBACK, port: 0, bootstrap, replyLimits: SWARM_LIMITS, ...extra });
}

const hasPeer = (peers: PeerAddress[], port: number) => peers.some((p) => p.host === LOOPBACK && p.port === port);

/** A bare UDP socket for hand-made packets; replies are awaited in order. */
async function rawSocket(host = LOOPBACK) {
  const inbox: Uint8Array[] = [];
  const waiters: ((m: Uint8Array) => void)[] = [];
  const socket = await Bun.udpSocket({
    hostname: host,
    port: 0,
    binaryType: "uint8array",
    socket: {
      data(_s, data) {
        const waiter = waiters.shift();
        if (waiter) waiter(data.slice());
        else inbox.push(data.slice());
      },
    },
  });
  return {
    socket,
    received: () => inbox.length,
    send(bytes: Uint8Array, port: number): void {
      while (!socket.send(bytes, port, LOOPBACK)) {
        // The kernel buffer is full (flood test): keep trying; loopback drains it at once.
      }
    },
    next(what: string, timeoutMs = 20_000): Promise<KrpcMessage> {
      const ready = inbox.shift();
      if (ready) return Promise.resolve(decodeKrpc(ready));
      const { promise, resolve } = Promise.withResolvers<Uint8Array>();
      waiters.push(resolve);
      return withTimeout(promise, timeoutMs, what)
        .catch((err: unknown) => {
          waiters.splice(waiters.indexOf(resolve), 1);
          throw err;
        })
        .then(decodeKrpc);
    },
    drain(): void {
      inbox.length = 0;
    },
    close: () => socket.close(),
  };
}

const t = (n: number) => new Uint8Array([n >> 8, n & 0xff]);

/** UDP sockets that take every datagram and answer none: DHT nodes that went away without a trace. */
async function silentNodes(count: number) {
  const fromPort = new Map<number, number>();
  const queries = new Recorder<KrpcMessage>();
  const sockets = await Promise.all(
    Array.from({ length: count }, () =>
      Bun.udpSocket({
        hostname: LOOPBACK,
        port: 0,
        binaryType: "uint8array",
        socket: {
          data(_s, data, port) {
            fromPort.set(port, (fromPort.get(port) ?? 0) + 1);
            queries.push(decodeKrpc(data));
          },
        },
      }),
    ),
  );
  return {
    addresses: sockets.map((s) => ({ host: LOOPBACK, port: s.port })),
    /** Everything they were sent, in order of arrival. */
    queries,
    /** Datagrams they got from the node on `port`. */
    receivedFrom: (port: number) => fromPort.get(port) ?? 0,
    close: () => sockets.forEach((s) => s.close()),
  };
}

/**
 * Awaits `work` of a node on the fake clock `time`, moving the clock to its next timer only while every
 * query the node has outstanding went to `silent` nodes and arrived there: those time out at once, while
 * queries to live loopback nodes wait for their real replies however long the machine takes. Every node
 * that does not answer must be one of `silent`: a query to an address nobody holds would wait forever.
 */
async function withSilentTimeouts<T>(time: FakeTime, node: DhtNode, silent: { receivedFrom(port: number): number }, work: Promise<T>): Promise<T> {
  let done = false;
  const finished = work.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) {
    const s = node.stats();
    const silentOutstanding = silent.receivedFrom(node.port) - s.timeouts;
    if (s.outstandingQueries === silentOutstanding && time.nextDelayMs !== undefined) time.advance(time.nextDelayMs);
    // Real datagrams (replies of live nodes, queries reaching the silent ones) arrive while we wait here.
    await Promise.race([finished, Bun.sleep(1)]);
  }
  return work;
}

/**
 * Pings until a reply with the ping's transaction id comes back: under a flood the kernel may drop a
 * datagram, so each try waits 250 ms for its own reply (ignoring late ones) and up to 40 tries are made.
 */
async function pingUntilAnswered(raw: Awaited<ReturnType<typeof rawSocket>>, port: number, tag: number): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const tid = new Uint8Array([tag >> 8, tag & 0xff, attempt]);
    raw.send(encodeQuery(tid, { method: "ping", id: new Uint8Array(20).fill(9) }), port);
    try {
      for (;;) {
        const reply = await raw.next("ping reply", 250);
        if (reply.y === "r" && reply.t.join() === tid.join()) return;
      }
    } catch {
      // No reply to this try within 250 ms (dropped under the flood): try again.
    }
  }
  throw new Error(`no reply to 40 pings to port ${port}`);
}

describe("a loopback DHT of ripple nodes and bittorrent-dht", () => {
  let seed: DhtNode;
  const nodes: DhtNode[] = [];
  let foreign: DHT;
  let foreignPort = 0;
  let stateDir = "";

  beforeAll(async () => {
    stateDir = await makeTempDir("ripple-dht-");
    seed = await start([]);
    const boot = [{ host: LOOPBACK, port: seed.port }];
    nodes.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => start(boot, i === 0 ? { statePath: join(stateDir, "dht.json") } : {})))));
    await withTimeout(Promise.all(nodes.map((n) => n.ready)), 10_000, "ripple nodes bootstrapped");
    foreign = new DHT({ bootstrap: [`${LOOPBACK}:${seed.port}`] }); // loopback only, never the public routers
    const ready = new Promise<void>((resolve) => foreign.once("ready", () => resolve()));
    await new Promise<void>((resolve) => foreign.listen(0, LOOPBACK, resolve));
    foreignPort = foreign.address().port;
    await withTimeout(ready, 10_000, "bittorrent-dht bootstrapped");
  }, NET_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([seed, ...nodes].map((n) => n.stop()));
    await new Promise<void>((resolve) => foreign.destroy(() => resolve()));
    await rm(stateDir, { recursive: true, force: true });
  });

  test("the nodes know each other after bootstrapping", () => {
    expect(seed.stats().nodes).toBeGreaterThanOrEqual(8);
    for (const n of nodes) expect(n.stats().nodes).toBeGreaterThan(0);
    expect(foreignPort).toBeGreaterThan(0);
  });

  test("node A announces, node B finds the peer", async () => {
    const infoHash = randomBytes(20);
    const result = await nodes[3]!.announce(infoHash, 7777);
    expect(result.announcedTo).toBeGreaterThan(0);
    expect(hasPeer(await nodes[17]!.getPeers(infoHash), 7777)).toBe(true);
  }, NET_TIMEOUT_MS);

  test("bittorrent-dht announces, a ripple node finds the peer", async () => {
    const infoHash = randomBytes(20);
    await withTimeout(new Promise<void>((resolve, reject) => foreign.announce(infoHash, 8888, (err) => (err ? reject(err) : resolve()))), 10_000, "bittorrent-dht announce");
    expect(hasPeer(await nodes[9]!.getPeers(infoHash), 8888)).toBe(true);
  }, NET_TIMEOUT_MS);

  test("a ripple node announces, bittorrent-dht finds the peer", async () => {
    const infoHash = randomBytes(20);
    expect((await nodes[5]!.announce(infoHash, 9999)).announcedTo).toBeGreaterThan(0);
    const found = new Promise<void>((resolve) => {
      const onPeer = (peer: PeerAddress, hash: Uint8Array) => {
        if (peer.port === 9999 && Buffer.from(hash).equals(infoHash)) {
          foreign.off("peer", onPeer);
          resolve();
        }
      };
      foreign.on("peer", onPeer);
    });
    foreign.lookup(infoHash);
    await withTimeout(found, 10_000, "bittorrent-dht lookup finds 127.0.0.1:9999");
  }, NET_TIMEOUT_MS);

  test("a node restarted from its state file answers lookups without bootstrapping", async () => {
    const infoHash = randomBytes(20);
    await nodes[11]!.announce(infoHash, 6000);
    const old = nodes[0]!;
    const { port, nodeId } = old;
    const known = old.stats().nodes;
    await old.stop();
    const restarted = await start([], { port, statePath: join(stateDir, "dht.json") });
    nodes[0] = restarted;
    expect(restarted.nodeId).toEqual(nodeId);
    expect(restarted.stats().nodes).toBe(known);
    await withTimeout(restarted.ready, 10_000, "restarted node ready");
    expect(hasPeer(await restarted.getPeers(infoHash), 6000)).toBe(true);
    // And it serves others from the loaded table.
    const raw = await rawSocket();
    try {
      raw.send(encodeQuery(t(1), { method: "find_node", id: randomBytes(20), target: randomBytes(20) }), restarted.port);
      const reply = await raw.next("find_node reply from the restarted node");
      expect(reply.y === "r" && reply.body.nodes?.length).toBe(8);
    } finally {
      raw.close();
    }
  }, NET_TIMEOUT_MS);
});

describe("hostile input", () => {
  let node: DhtNode;
  beforeAll(async () => {
    node = await startDhtNode({ host: LOOPBACK, port: 0, bootstrap: [], replyLimits: { perIpPerSecond: 50, perIpBurst: 100 } });
  });
  afterAll(() => node.stop());

  test("garbage, huge and mistyped packets are dropped; malformed queries get 203, unknown methods 204", async () => {
    const raw = await rawSocket("127.0.0.2");
    try {
      const id = randomBytes(20);
      const garbage = [randomBytes(50), new Uint8Array(60_000), new TextEncoder().encode("d1:t2:aa1:y1:re"), new TextEncoder().encode("i42e"), new Uint8Array(0)];
      for (const g of garbage) raw.send(g, node.port);
      raw.send(encodeQuery(t(7), { method: "ping", id }), node.port);
      const pong = await raw.next("ping after garbage");
      expect(pong).toMatchObject({ y: "r", t: t(7) }); // the garbage got no reply at all
      raw.send(new TextEncoder().encode(`d1:ad2:id20:${"x".repeat(20)}e1:q4:vote1:t2:zz1:y1:qe`), node.port);
      expect(await raw.next("unknown method")).toMatchObject({ y: "e", code: 204 });
      raw.send(new TextEncoder().encode(`d1:ad2:id3:xxxe1:q4:ping1:t2:zz1:y1:qe`), node.port);
      expect(await raw.next("bad id")).toMatchObject({ y: "e", code: 203 });
      raw.send(encodeQuery(t(8), { method: "announce_peer", id, infoHash: randomBytes(20), port: 1, token: randomBytes(8), impliedPort: false }), node.port);
      expect(await raw.next("announce with a forged token")).toMatchObject({ y: "e", code: 203, message: "bad token" });
      // A response nobody asked for is ignored.
      raw.send(new TextEncoder().encode(`d1:rd2:id20:${"x".repeat(20)}e1:t4:abcd1:y1:re`), node.port);
      raw.send(encodeQuery(t(9), { method: "ping", id }), node.port);
      expect(await raw.next("ping after a stray response")).toMatchObject({ y: "r", t: t(9) });
      expect(node.stats().malformedPackets).toBeGreaterThanOrEqual(garbage.length + 3);
      expect(node.stats().storedPeers).toBe(0);
    } finally {
      raw.close();
    }
  });

  test("a flood is rate limited per IP and leaves memory bounded; other IPs are still served", async () => {
    const flooder = await rawSocket(LOOPBACK);
    const other = await rawSocket("127.0.0.3");
    try {
      Bun.gc(true);
      const heapBefore = process.memoryUsage().heapUsed;
      const started = performance.now();
      // 20,000 packets in batches of 100; after each batch a ping from another IP must still be answered.
      for (let i = 0; i < 20_000; i++) {
        const kind = i % 4;
        const id = randomBytes(20);
        const packet =
          kind === 0
            ? encodeQuery(t(i), { method: "ping", id })
            : kind === 1
              ? encodeQuery(t(i), { method: "find_node", id, target: randomBytes(20) })
              : kind === 2
                ? encodeQuery(t(i), { method: "get_peers", id, infoHash: randomBytes(20) })
                : randomBytes(1 + (i % 1500));
        flooder.send(packet, node.port);
        if (i % 100 === 99) await pingUntilAnswered(other, node.port, i);
      }
      const elapsedSec = (performance.now() - started) / 1000;
      // Replies to the flooder: the burst plus the refill over the flood's duration, no more.
      expect(flooder.received()).toBeLessThanOrEqual(100 + Math.ceil(elapsedSec * 50) + 1);
      const stats = node.stats();
      expect(stats.rateLimited).toBeGreaterThan(1000);
      expect(stats.nodes).toBeLessThanOrEqual(3); // one id per address: the three test sockets
      expect(stats.outstandingQueries).toBeLessThanOrEqual(8);
      expect(stats.trackedIps).toBeLessThanOrEqual(4096);
      Bun.gc(true);
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
    } finally {
      flooder.close();
      other.close();
    }
  }, NET_TIMEOUT_MS);
});

describe("a node on a fake clock", () => {
  test("with nobody answering, it is ready when its bootstrap query times out, and tries to join again a minute on", async () => {
    const router = await silentNodes(1);
    const time = new FakeTime();
    const node = await start(router.addresses, { clock: time, queryTimeoutMs: 2_000 });
    try {
      let ready = false;
      void node.ready.then(() => (ready = true));
      expect((await router.queries.waitFor(1))[0]).toMatchObject({ y: "q", query: { method: "find_node" } });
      time.advance(1_999);
      await settle();
      expect(ready).toBe(false);
      time.advance(1);
      await settle();
      expect(ready).toBe(true);
      expect(node.stats()).toMatchObject({ nodes: 0, queriesSent: 1, timeouts: 1 });
      time.advance(60_000 - 2_000 - 1);
      await settle();
      expect(node.stats().queriesSent).toBe(1);
      time.advance(1);
      expect((await router.queries.waitFor(2))[1]).toMatchObject({ y: "q", query: { method: "find_node" } });
    } finally {
      await node.stop();
      router.close();
    }
  });

  test("a saved table whose nodes are all gone falls back to the bootstrap list once their queries time out", async () => {
    // A world of its own: every node the stale one can hear of is live or one of the silent ones.
    const seed = await start([]);
    const peerSide = await start([{ host: LOOPBACK, port: seed.port }]);
    const gone = await silentNodes(10);
    const dir = await makeTempDir("ripple-dht-stale-");
    const time = new FakeTime();
    let stale: DhtNode | undefined;
    try {
      await withTimeout(peerSide.ready, 10_000, "announcing node joined");
      const infoHash = randomBytes(20);
      expect((await peerSide.announce(infoHash, 6100)).announcedTo).toBeGreaterThan(0);
      const statePath = join(dir, "stale.json");
      const nodesJson = gone.addresses.map(({ host, port }) => ({ id: Buffer.from(randomBytes(20)).toString("hex"), host, port }));
      await Bun.write(statePath, JSON.stringify({ version: 1, table: { id: Buffer.from(randomBytes(20)).toString("hex"), nodes: nodesJson } }));
      stale = await start([{ host: LOOPBACK, port: seed.port }], { statePath, clock: time });
      expect(stale.stats().nodes).toBe(10);
      await withSilentTimeouts(time, stale, gone, stale.ready);
      expect(stale.stats().timeouts).toBeGreaterThan(0);
      expect(stale.stats().goodNodes).toBeGreaterThan(0);
      expect(hasPeer(await withSilentTimeouts(time, stale, gone, stale.getPeers(infoHash)), 6100)).toBe(true);
    } finally {
      await Promise.all([stale, peerSide, seed].map((n) => n?.stop()));
      gone.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, NET_TIMEOUT_MS);
});
