// Routing table (BEP 5): insertion, splitting of our own bucket, node states, eviction and replacement,
// closest(), caps, refresh times and JSON persistence.

import { describe, expect, test } from "bun:test";
import { BUCKET_SIZE, GOOD_WINDOW_MS, RoutingTable, compareDistance, sharedPrefixBits } from "../../src/dht/index.ts";
import { fromHex, toHex } from "../../src/util/index.ts";
import { seededBytes } from "../helpers/random.ts";

const SELF = new Uint8Array(20);
const id = (hex: string) => fromHex(hex.padEnd(40, "0"))!;
let nextPort = 1000;
const contact = (hexId: string | Uint8Array) => ({ id: typeof hexId === "string" ? id(hexId) : hexId, host: "127.0.0.1", port: nextPort++ });

const rng = seededBytes;

describe("routing table", () => {
  test("starts with one bucket and takes k nodes", () => {
    const t = new RoutingTable(SELF, 0);
    for (let i = 0; i < BUCKET_SIZE; i++) expect(t.observe(contact(`8${i}`), "response", 0).outcome).toBe("added");
    expect(t.size).toBe(8);
    expect(t.bucketCount).toBe(1);
  });

  test("the bucket holding our id splits; the far one does not", () => {
    const t = new RoutingTable(SELF, 0);
    for (let i = 0; i < 8; i++) t.observe(contact(`8${i}`), "response", 0); // far half (first bit 1)
    expect(t.observe(contact("40"), "response", 0).outcome).toBe("added"); // near half: split
    expect(t.bucketCount).toBe(2);
    expect(t.size).toBe(9);
    // Bucket 0 (first bit differs) is full of good nodes: a newcomer only becomes a replacement.
    expect(t.observe(contact("c0"), "response", 0).outcome).toBe("replacement");
    expect(t.size).toBe(9);
    // Near nodes keep splitting our bucket down the prefix.
    for (const prefix of ["20", "10", "08", "04", "02", "01", "0080", "0040", "0020"]) t.observe(contact(prefix), "response", 0);
    expect(t.size).toBe(18); // the near nodes all fit: our bucket split as often as needed
    expect(t.bucketCount).toBeGreaterThan(2);
  });

  test("many random nodes: no bucket above k, buckets full or complete, our own bucket complete", () => {
    const random = rng(7);
    const t = new RoutingTable(SELF, 0, { maxNodes: 10_000 });
    const ids = Array.from({ length: 2000 }, () => random(20));
    for (const i of ids) t.observe(contact(i), "response", 0);
    const perBucket = new Map<number, number>();
    for (const n of t.all()) {
      const b = Math.min(sharedPrefixBits(SELF, n.id), t.bucketCount - 1);
      perBucket.set(b, (perBucket.get(b) ?? 0) + 1);
    }
    for (const count of perBucket.values()) expect(count).toBeLessThanOrEqual(BUCKET_SIZE);
    const last = t.bucketCount - 1;
    for (let b = 0; b <= last; b++) {
      const eligible = ids.filter((i) => Math.min(sharedPrefixBits(SELF, i), last) === b).length;
      expect(perBucket.get(b) ?? 0).toBe(b === last ? eligible : Math.min(eligible, BUCKET_SIZE));
    }
    expect(t.bucketCount).toBeGreaterThan(5);
  });

  test("closest(target, n) matches a brute-force sort", () => {
    const random = rng(99);
    const t = new RoutingTable(random(20), 0);
    for (let i = 0; i < 300; i++) t.observe(contact(random(20)), "response", 0);
    for (let round = 0; round < 10; round++) {
      const target = random(20);
      const expected = [...t.all()].sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, 8);
      expect(t.closest(target, 8, 0)).toEqual(expected);
    }
  });

  test("good, questionable, bad: the 15-minute rule and failed queries", () => {
    const t = new RoutingTable(SELF, 0);
    t.observe(contact("80"), "response", 1000);
    t.observe(contact("81"), "query", 1000);
    const [answered, queried] = [t.get(id("80"))!, t.get(id("81"))!];
    expect(t.state(answered, 1000)).toBe("good");
    expect(t.state(queried, 1000)).toBe("questionable"); // never answered us
    expect(t.state(answered, 1000 + GOOD_WINDOW_MS)).toBe("questionable");
    t.observe({ ...answered }, "query", 1000 + GOOD_WINDOW_MS); // queried us, having answered before
    expect(t.state(answered, 1000 + GOOD_WINDOW_MS)).toBe("good");
    t.failed(id("80"), 2000);
    expect(t.state(answered, 2000)).toBe("questionable");
    t.failed(id("80"), 2000);
    expect(t.state(answered, 2000)).toBe("bad");
    t.observe({ ...answered }, "response", 3000);
    expect(t.state(answered, 3000)).toBe("good"); // an answer clears failures
  });

  test("a full bucket replaces a bad node at once and asks to ping a questionable one", () => {
    const t = new RoutingTable(SELF, 0);
    for (let i = 0; i < 8; i++) t.observe(contact(`8${i}`), "response", 0);
    t.observe(contact("40"), "response", 0); // split: bucket 0 holds the eight 8x nodes
    const later = GOOD_WINDOW_MS + 1; // all of them are questionable now
    const result = t.observe(contact("c1"), "response", later);
    expect(result.outcome).toBe("pending");
    const victim = result.outcome === "pending" ? result.ping : undefined;
    expect(victim).toBeDefined();
    t.failed(victim!.id, later);
    t.failed(victim!.id, later); // bad: the replacement c1 takes its place
    expect(t.get(victim!.id)).toBeUndefined();
    expect(t.get(id("c1"))).toBeDefined();
    // Another bad node is replaced directly by the next newcomer.
    const other = t.all().find((n) => n.id[0]! >= 0x80 && toHex(n.id) !== toHex(id("c1")))!;
    t.failed(other.id, later);
    t.failed(other.id, later);
    expect(t.observe(contact("c2"), "response", later).outcome).toBe("added");
    expect(t.get(other.id)).toBeUndefined();
  });

  test("a bad node with no replacement stays until something better comes", () => {
    const t = new RoutingTable(SELF, 0);
    t.observe(contact("80"), "response", 0);
    t.failed(id("80"), 0);
    t.failed(id("80"), 0);
    expect(t.get(id("80"))).toBeDefined();
    expect(t.closest(SELF, 8, 0)).toEqual([]); // bad nodes are not handed out
  });

  test("our own id, bad addresses and a second id on one address are ignored", () => {
    const t = new RoutingTable(SELF, 0);
    expect(t.observe({ id: SELF, host: "127.0.0.1", port: 1 }, "response", 0).outcome).toBe("ignored");
    expect(t.observe({ id: id("80"), host: "example.org", port: 1 }, "response", 0).outcome).toBe("ignored");
    expect(t.observe({ id: id("80"), host: "127.0.0.1", port: 0 }, "response", 0).outcome).toBe("ignored");
    expect(t.observe({ id: id("80"), host: "127.0.0.1", port: 7 }, "response", 0).outcome).toBe("added");
    expect(t.observe({ id: id("81"), host: "127.0.0.1", port: 7 }, "response", 0).outcome).toBe("ignored");
    expect(t.size).toBe(1);
  });

  test("maxNodes caps the table", () => {
    const random = rng(3);
    const t = new RoutingTable(SELF, 0, { maxNodes: 20 });
    for (let i = 0; i < 500; i++) t.observe(contact(random(20)), "response", 0);
    expect(t.size).toBe(20);
  });

  test("bucket refresh times", () => {
    const t = new RoutingTable(SELF, 0);
    expect(t.staleBuckets(GOOD_WINDOW_MS, GOOD_WINDOW_MS)).toEqual([0]);
    t.observe(contact("80"), "response", 100);
    expect(t.staleBuckets(GOOD_WINDOW_MS, GOOD_WINDOW_MS)).toEqual([]);
    t.touchBucket(0, 2 * GOOD_WINDOW_MS);
    expect(t.staleBuckets(2 * GOOD_WINDOW_MS + 1, GOOD_WINDOW_MS)).toEqual([]);
  });

  test("toJSON / fromJSON keep the id and nodes; loaded nodes are questionable; junk is skipped", () => {
    const random = rng(5);
    const t = new RoutingTable(random(20), 0);
    for (let i = 0; i < 100; i++) t.observe(contact(random(20)), "response", 0);
    const json = JSON.parse(JSON.stringify(t.toJSON()));
    const loaded = RoutingTable.fromJSON(json, 50)!;
    expect(toHex(loaded.id)).toBe(toHex(t.id));
    expect(loaded.size).toBe(t.size);
    expect(loaded.counts(50)).toMatchObject({ good: 0, questionable: t.size });
    const target = random(20);
    expect(loaded.closest(target, 8, 50).map((n) => toHex(n.id))).toEqual(t.closest(target, 8, 0).map((n) => toHex(n.id)));
    expect(RoutingTable.fromJSON({ id: "zz", nodes: [] }, 0)).toBeUndefined();
    expect(RoutingTable.fromJSON(null, 0)).toBeUndefined();
    const partial = RoutingTable.fromJSON({ id: toHex(SELF), nodes: [{ id: "11", host: "1.2.3.4", port: 1 }, 5, { id: toHex(id("80")), host: "1.2.3.4", port: 9 }] }, 0)!;
    expect(partial.size).toBe(1);
  });
});
