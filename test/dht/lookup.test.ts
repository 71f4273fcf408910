// Iterative lookup (BEP 5), by pure simulation over a fake network of a few hundred nodes: it converges to
// the true k closest, liars do not poison it, one reply adds at most 8 nodes, stray replies are refused.

import { describe, expect, test } from "bun:test";
import { Lookup, RoutingTable, compareDistance, type KrpcResponseBody, type NodeContact } from "../../src/dht/index.ts";
import { toHex } from "../../src/util/index.ts";
import { seededBytes, seededRandom } from "../helpers/random.ts";

interface SimNode extends NodeContact {
  readonly table: RoutingTable;
  /** Replaces the honest reply (a liar), or undefined to answer truthfully; null: never answers. */
  behave?: (target: Uint8Array) => KrpcResponseBody | null;
}

/** N nodes on fake loopback ports, each with a full Kademlia table of all the others. */
function buildNetwork(n: number, seed: number): { nodes: SimNode[]; byKey: Map<string, SimNode>; bytes: (n: number) => Uint8Array } {
  const bytes = seededBytes(seed);
  const nodes: SimNode[] = Array.from({ length: n }, (_, i) => {
    const id = bytes(20);
    return { id, host: "127.0.0.1", port: 10_000 + i, table: new RoutingTable(id, 0) };
  });
  const random = seededRandom(seed + 1);
  for (const node of nodes) {
    const others = nodes.filter((o) => o !== node).sort(() => random() - 0.5);
    for (const o of others) node.table.observe(o, "response", 0);
  }
  return { nodes, byKey: new Map(nodes.map((x) => [`${x.host}:${x.port}`, x])), bytes };
}

/** Runs a lookup to the end, answering queries one at a time in random order. */
function run(lookup: Lookup, byKey: Map<string, SimNode>, random: () => number, extra?: Map<string, SimNode>): void {
  const inFlight: { key: string }[] = [];
  let now = 0;
  for (let step = 0; step < 10_000; step++) {
    inFlight.push(...lookup.next(now));
    if (lookup.done || inFlight.length === 0) return;
    const [req] = inFlight.splice(Math.floor(random() * inFlight.length), 1);
    const node = byKey.get(req!.key) ?? extra?.get(req!.key);
    const reply = node ? (node.behave ? node.behave(lookup.target) : { id: node.id, nodes: node.table.closest(lookup.target, 8, 0), token: node.id.subarray(0, 4) }) : null;
    if (reply) expect(lookup.onResponse(req!.key, reply)).toBe(true);
    else lookup.onFailure(req!.key);
    now += 10;
  }
  throw new Error("lookup did not finish");
}

function trueClosest(nodes: readonly SimNode[], target: Uint8Array, k = 8): string[] {
  return [...nodes].sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, k).map((x) => toHex(x.id));
}

function seedsOf(start: SimNode, target: Uint8Array): NodeContact[] {
  return start.table.closest(target, 16, 0);
}

describe("iterative lookup over a simulated network of 300 nodes", () => {
  const net = buildNetwork(300, 42);

  test("converges to the true k closest for every target", () => {
    const random = seededRandom(7);
    let totalQueries = 0;
    for (let round = 0; round < 40; round++) {
      const start = net.nodes[Math.floor(random() * net.nodes.length)]!;
      const target = net.bytes(20);
      const lookup = new Lookup({ target, selfId: start.id }, seedsOf(start, target));
      run(lookup, net.byKey, random);
      const expected = trueClosest(net.nodes.filter((x) => x !== start), target);
      expect(lookup.closest().map((x) => toHex(x.id))).toEqual(expected);
      totalQueries += lookup.queries;
    }
    expect(totalQueries / 40).toBeLessThan(40); // a lookup costs a few dozen queries, not the network
  });

  test("converges from a single bootstrap address with no id", () => {
    const random = seededRandom(8);
    const boot = net.nodes[0]!;
    for (let round = 0; round < 10; round++) {
      const target = net.bytes(20);
      const lookup = new Lookup({ target }, [{ host: boot.host, port: boot.port }]);
      run(lookup, net.byKey, random);
      expect(lookup.closest().map((x) => toHex(x.id))).toEqual(trueClosest(net.nodes, target));
    }
  });

  test("alpha bounds the queries in flight (clamped to 1..8)", () => {
    const start = net.nodes[1]!;
    const target = net.bytes(20);
    expect(new Lookup({ target, alpha: 3 }, seedsOf(start, target)).next(0).length).toBe(3);
    expect(new Lookup({ target, alpha: 50 }, seedsOf(start, target)).next(0).length).toBe(8);
    expect(new Lookup({ target, alpha: 0 }, seedsOf(start, target)).next(0).length).toBe(1);
    const lookup = new Lookup({ target, alpha: 3, slowMs: 1000 }, seedsOf(start, target));
    expect(lookup.next(0).length).toBe(3);
    expect(lookup.next(500)).toEqual([]); // all three still in their slot
    expect(lookup.next(1000).length).toBe(3); // slow ones give their slots up
    expect(lookup.outstanding).toBe(6);
  });
});

describe("hostile nodes", () => {
  test("liars answering with bogus far nodes do not poison the result", () => {
    const net = buildNetwork(300, 43);
    const random = seededRandom(9);
    const liars = net.nodes.filter((_, i) => i % 5 === 0); // 20% of the network
    const fakes = new Map<string, SimNode>();
    for (const [i, liar] of liars.entries()) {
      liar.behave = (target) => ({
        id: liar.id,
        // Far from the target (first bit flipped), at addresses where nobody answers.
        nodes: Array.from({ length: 8 }, (_, j) => ({ id: target.map((b, x) => (x === 0 ? b ^ 0x80 : b ^ (j + 1))), host: "127.0.0.2", port: 1 + i * 8 + j })),
      });
    }
    for (let round = 0; round < 20; round++) {
      const start = net.nodes[1 + Math.floor(random() * 299)]!;
      const target = net.bytes(20);
      const lookup = new Lookup({ target, selfId: start.id }, seedsOf(start, target));
      run(lookup, net.byKey, random, fakes);
      const honest = trueClosest(net.nodes.filter((x) => x !== start), target);
      expect(lookup.closest().map((x) => toHex(x.id))).toEqual(honest);
    }
  });

  test("a liar answering with fake nodes right next to the target only costs the failed queries", () => {
    const net = buildNetwork(200, 44);
    const random = seededRandom(10);
    const liar = net.nodes[5]!;
    liar.behave = (target) => ({
      id: liar.id,
      nodes: Array.from({ length: 8 }, (_, j) => ({ id: target.map((b, x) => (x === 19 ? b ^ (j + 1) : b)), host: "127.0.0.3", port: 100 + j })),
    });
    for (let round = 0; round < 10; round++) {
      const target = net.bytes(20);
      const lookup = new Lookup({ target }, [{ host: liar.host, port: liar.port }, ...seedsOf(net.nodes[9]!, target)]);
      run(lookup, net.byKey, random);
      expect(lookup.closest().map((x) => toHex(x.id))).toEqual(trueClosest(net.nodes, target));
    }
  });

  test("at most 8 nodes are taken from one reply", () => {
    const target = new Uint8Array(20);
    const lookup = new Lookup({ target, alpha: 8 }, [{ host: "127.0.0.1", port: 1 }]);
    const [first] = lookup.next(0);
    const flood = Array.from({ length: 100 }, (_, i) => ({ id: new Uint8Array(20).fill(i + 1), host: "127.0.0.1", port: 2 + i }));
    expect(lookup.onResponse(first!.key, { id: new Uint8Array(20).fill(0xff), nodes: flood })).toBe(true);
    let asked = 0;
    for (;;) {
      const reqs = lookup.next(0);
      if (reqs.length === 0) break;
      asked += reqs.length;
      for (const r of reqs) lookup.onFailure(r.key);
    }
    expect(asked).toBe(8);
    expect(lookup.done).toBe(true);
  });

  test("replies that match no outstanding query are refused", () => {
    const target = new Uint8Array(20);
    const lookup = new Lookup({ target }, [{ host: "127.0.0.1", port: 1 }, { host: "127.0.0.1", port: 2 }]);
    const body = { id: new Uint8Array(20).fill(1), nodes: [{ id: new Uint8Array(20).fill(2), host: "127.0.0.1", port: 9 }] };
    expect(lookup.onResponse("127.0.0.1:1", body)).toBe(false); // not asked yet
    const reqs = lookup.next(0);
    expect(lookup.onResponse("127.0.0.1:77", body)).toBe(false); // never a candidate
    expect(lookup.onResponse(reqs[0]!.key, body)).toBe(true);
    expect(lookup.onResponse(reqs[0]!.key, body)).toBe(false); // answered already
    lookup.onFailure(reqs[1]!.key);
    expect(lookup.onResponse(reqs[1]!.key, body)).toBe(false); // timed out already
  });

  test("a node answering with our own id is not counted", () => {
    const self = new Uint8Array(20).fill(7);
    const lookup = new Lookup({ target: new Uint8Array(20), selfId: self }, [{ host: "127.0.0.1", port: 1 }]);
    const [req] = lookup.next(0);
    lookup.onResponse(req!.key, { id: self, nodes: [{ id: self, host: "127.0.0.1", port: 5 }] });
    expect(lookup.closest()).toEqual([]);
    expect(lookup.done).toBe(true);
  });
});

describe("get_peers results", () => {
  test("collects peers without duplicates and the closest token holders", () => {
    const target = new Uint8Array(20);
    const seeds = [1, 2, 3].map((i) => ({ host: "127.0.0.1", port: i, id: new Uint8Array(20).fill(i) }));
    const lookup = new Lookup({ target }, seeds);
    const reqs = lookup.next(0);
    const peer = { host: "127.0.0.9", port: 6881 };
    lookup.onResponse(reqs[0]!.key, { id: seeds[0]!.id, values: [peer, peer, { host: "127.0.0.9", port: 0 }], token: new Uint8Array([1]) });
    lookup.onResponse(reqs[1]!.key, { id: seeds[1]!.id, values: [peer, { host: "127.0.0.8", port: 1 }] });
    lookup.onResponse(reqs[2]!.key, { id: seeds[2]!.id, token: new Uint8Array([3]) });
    expect(lookup.done).toBe(true);
    expect(lookup.peers()).toEqual([peer, { host: "127.0.0.8", port: 1 }]);
    expect(lookup.tokenHolders().map((h) => [h.port, [...h.token]])).toEqual([
      [1, [1]],
      [3, [3]],
    ]);
  });

  test("a lookup whose every seed fails ends empty", () => {
    const lookup = new Lookup({ target: new Uint8Array(20) }, [{ host: "127.0.0.1", port: 1 }]);
    for (const r of lookup.next(0)) lookup.onFailure(r.key);
    expect(lookup.done).toBe(true);
    expect(lookup.closest()).toEqual([]);
    expect(new Lookup({ target: new Uint8Array(20) }, []).done).toBe(true);
  });
});
