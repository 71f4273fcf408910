// Kademlia routing table (BEP 5): k-buckets of 8, the bucket holding our own id splits, good/questionable/bad
// node states (15-minute rule, failed queries), a replacement cache per bucket, refresh times, closest(),
// and JSON for persistence. Pure; time comes in as `now`, no I/O.
// Bucket i holds the nodes that share exactly i leading bits with our id; the last bucket holds every node
// sharing at least that many, so splitting it is the BEP 5 split of "the bucket our id falls in".

import { bytesEqual, fromHex, parseIpv4, toHex } from "../util/index.ts";
import type { NodeContact } from "./krpc.ts";
import { ID_BITS, ID_BYTES, compareDistance, idKey, sharedPrefixBits } from "./node-id.ts";

/** BEP 5: K = 8 nodes per bucket. */
export const BUCKET_SIZE = 8;
/** BEP 5: a node is good if it answered us (or queried us, having answered before) in the last 15 minutes. */
export const GOOD_WINDOW_MS = 15 * 60_000;
/** BEP 5: "fails to respond to multiple queries in a row" makes a node bad. */
export const MAX_FAILURES = 2;
/** Replacement candidates kept per bucket. */
export const REPLACEMENTS_PER_BUCKET = 8;

export type NodeState = "good" | "questionable" | "bad";

/** The time of an event that has not happened. */
const NEVER = -Infinity;

export interface RoutingNode extends NodeContact {
  /** When it last answered one of our queries (-Infinity: never). */
  lastResponseAt: number;
  /** When it last sent us a query (-Infinity: never). */
  lastQueryAt: number;
  /** Our queries in a row it failed to answer. */
  failures: number;
}

interface Bucket {
  nodes: RoutingNode[];
  /** Most recent last. */
  replacements: RoutingNode[];
  /** Last time a node in it answered, was added or replaced (BEP 5 refresh rule). */
  changedAt: number;
}

/** What observe() did; with "pending", `ping` is a questionable node the caller should ping (BEP 5). */
export type ObserveResult =
  | { readonly outcome: "added" | "updated" | "replacement" | "ignored" }
  | { readonly outcome: "pending"; readonly ping: RoutingNode };

export interface RoutingTableJson {
  readonly id: string;
  readonly nodes: readonly { readonly id: string; readonly host: string; readonly port: number }[];
}

export interface RoutingTableOptions {
  /** Cap on nodes across all buckets (replacements not counted); default 1000. */
  readonly maxNodes?: number;
}

export class RoutingTable {
  readonly id: Uint8Array;
  readonly #maxNodes: number;
  readonly #buckets: Bucket[];
  /** host:port -> id key, so one address cannot hold several ids (a cheap Sybil guard). */
  readonly #byAddress = new Map<string, string>();
  #size = 0;

  constructor(id: Uint8Array, now: number, options: RoutingTableOptions = {}) {
    if (id.length !== ID_BYTES) throw new RangeError(`routing table id must be 20 bytes, got ${id.length}`);
    this.id = id;
    this.#maxNodes = options.maxNodes ?? 1000;
    this.#buckets = [{ nodes: [], replacements: [], changedAt: now }];
  }

  get size(): number {
    return this.#size;
  }

  get bucketCount(): number {
    return this.#buckets.length;
  }

  state(node: RoutingNode, now: number): NodeState {
    if (node.failures >= MAX_FAILURES) return "bad";
    if (node.failures > 0) return "questionable";
    const answered = now - node.lastResponseAt < GOOD_WINDOW_MS;
    const queried = node.lastResponseAt !== NEVER && now - node.lastQueryAt < GOOD_WINDOW_MS;
    return answered || queried ? "good" : "questionable";
  }

  #bucketIndex(id: Uint8Array): number {
    return Math.min(sharedPrefixBits(this.id, id), this.#buckets.length - 1);
  }

  get(id: Uint8Array): RoutingNode | undefined {
    return this.#buckets[this.#bucketIndex(id)]!.nodes.find((n) => bytesEqual(n.id, id));
  }

  /**
   * Records contact with a node: `response` when it answered our query, `query` when it queried us.
   * Adds it when its bucket has room (splitting our own bucket first), replaces a bad node, or keeps it
   * as a replacement and asks the caller to ping the least recently seen questionable node.
   */
  observe(contact: NodeContact, how: "response" | "query", now: number): ObserveResult {
    if (contact.id.length !== ID_BYTES || bytesEqual(contact.id, this.id)) return { outcome: "ignored" };
    if (!parseIpv4(contact.host) || contact.port < 1 || contact.port > 65535) return { outcome: "ignored" };
    const address = `${contact.host}:${contact.port}`;
    const key = idKey(contact.id);
    const holder = this.#byAddress.get(address);
    if (holder !== undefined && holder !== key) return { outcome: "ignored" };
    const existing = this.get(contact.id);
    if (existing) {
      if (how === "response") {
        existing.lastResponseAt = now;
        existing.failures = 0;
        this.#buckets[this.#bucketIndex(contact.id)]!.changedAt = now;
      } else existing.lastQueryAt = now;
      return { outcome: "updated" };
    }
    const node: RoutingNode = {
      id: contact.id.slice(),
      host: contact.host,
      port: contact.port,
      lastResponseAt: how === "response" ? now : NEVER,
      lastQueryAt: how === "query" ? now : NEVER,
      failures: 0,
    };
    for (;;) {
      const index = this.#bucketIndex(node.id);
      const bucket = this.#buckets[index]!;
      if (bucket.nodes.length < BUCKET_SIZE && this.#size < this.#maxNodes) {
        this.#insert(bucket, node, now);
        return { outcome: "added" };
      }
      if (index === this.#buckets.length - 1 && this.#buckets.length < ID_BITS && this.#size < this.#maxNodes) {
        this.#split();
        continue;
      }
      const bad = bucket.nodes.find((n) => this.state(n, now) === "bad");
      if (bad) {
        this.#remove(bucket, bad);
        this.#insert(bucket, node, now);
        return { outcome: "added" };
      }
      this.#addReplacement(bucket, node);
      let questionable: RoutingNode | undefined;
      for (const n of bucket.nodes) {
        if (this.state(n, now) !== "questionable") continue;
        if (!questionable || lastSeen(n) < lastSeen(questionable)) questionable = n;
      }
      return questionable ? { outcome: "pending", ping: questionable } : { outcome: "replacement" };
    }
  }

  /** A query to this node timed out; a node that turns bad gives its place to the newest replacement. */
  failed(id: Uint8Array, now: number): void {
    const bucket = this.#buckets[this.#bucketIndex(id)]!;
    const node = bucket.nodes.find((n) => bytesEqual(n.id, id));
    if (!node) {
      bucket.replacements = bucket.replacements.filter((n) => !bytesEqual(n.id, id));
      return;
    }
    node.failures++;
    if (this.state(node, now) !== "bad") return;
    const replacement = bucket.replacements.pop();
    if (!replacement) return; // BEP 5 keeps a bad node until something better comes along
    this.#remove(bucket, node);
    if (!this.#byAddress.has(`${replacement.host}:${replacement.port}`)) this.#insert(bucket, replacement, now);
  }

  /** Removes a node outright (e.g. it answered with a different id than we had for it). */
  remove(id: Uint8Array): void {
    const bucket = this.#buckets[this.#bucketIndex(id)]!;
    const node = bucket.nodes.find((n) => bytesEqual(n.id, id));
    if (node) this.#remove(bucket, node);
  }

  /** Up to `count` non-bad nodes closest to `target` by XOR distance, closest first. */
  closest(target: Uint8Array, count: number, now: number): RoutingNode[] {
    const all: RoutingNode[] = [];
    for (const b of this.#buckets) for (const n of b.nodes) if (this.state(n, now) !== "bad") all.push(n);
    return all.sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, count);
  }

  all(): RoutingNode[] {
    return this.#buckets.flatMap((b) => b.nodes);
  }

  /** Bucket indexes (= shared prefix bits) not changed for `maxAgeMs` (BEP 5: refresh after 15 minutes). */
  staleBuckets(now: number, maxAgeMs: number): number[] {
    return this.#buckets.flatMap((b, i) => (now - b.changedAt >= maxAgeMs ? [i] : []));
  }

  /** Marks a bucket refreshed (a lookup into it was started). */
  touchBucket(index: number, now: number): void {
    const b = this.#buckets[index];
    if (b) b.changedAt = now;
  }

  counts(now: number): { good: number; questionable: number; bad: number; replacements: number } {
    const out = { good: 0, questionable: 0, bad: 0, replacements: 0 };
    for (const b of this.#buckets) {
      for (const n of b.nodes) out[this.state(n, now)]++;
      out.replacements += b.replacements.length;
    }
    return out;
  }

  toJSON(): RoutingTableJson {
    return { id: toHex(this.id), nodes: this.all().map((n) => ({ id: toHex(n.id), host: n.host, port: n.port })) };
  }

  /** Rebuilds a table from toJSON() output; entries that do not parse are skipped, nodes start questionable. */
  static fromJSON(json: unknown, now: number, options: RoutingTableOptions = {}): RoutingTable | undefined {
    if (typeof json !== "object" || json === null) return undefined;
    const { id, nodes } = json as { id?: unknown; nodes?: unknown };
    const idBytes = typeof id === "string" ? fromHex(id) : undefined;
    if (!idBytes || idBytes.length !== ID_BYTES || !Array.isArray(nodes)) return undefined;
    const table = new RoutingTable(idBytes, now, options);
    for (const entry of nodes.slice(0, table.#maxNodes) as unknown[]) {
      const e = entry as { id?: unknown; host?: unknown; port?: unknown } | null;
      const nodeId = typeof e?.id === "string" ? fromHex(e.id) : undefined;
      if (!nodeId || nodeId.length !== ID_BYTES || typeof e?.host !== "string" || typeof e.port !== "number") continue;
      if (!Number.isInteger(e.port)) continue;
      const result = table.observe({ id: nodeId, host: e.host, port: e.port }, "query", now);
      // Loaded nodes have not answered in this session; observe("query") recorded them as questionable.
      if (result.outcome === "added") table.get(nodeId)!.lastQueryAt = NEVER;
    }
    return table;
  }

  #insert(bucket: Bucket, node: RoutingNode, now: number): void {
    bucket.nodes.push(node);
    bucket.replacements = bucket.replacements.filter((n) => !bytesEqual(n.id, node.id));
    bucket.changedAt = now;
    this.#byAddress.set(`${node.host}:${node.port}`, idKey(node.id));
    this.#size++;
  }

  #remove(bucket: Bucket, node: RoutingNode): void {
    bucket.nodes.splice(bucket.nodes.indexOf(node), 1);
    this.#byAddress.delete(`${node.host}:${node.port}`);
    this.#size--;
  }

  #addReplacement(bucket: Bucket, node: RoutingNode): void {
    bucket.replacements = bucket.replacements.filter((n) => !bytesEqual(n.id, node.id));
    bucket.replacements.push(node);
    if (bucket.replacements.length > REPLACEMENTS_PER_BUCKET) bucket.replacements.shift();
  }

  /** Splits the last bucket: nodes sharing more prefix bits with us move to a new last bucket. */
  #split(): void {
    const last = this.#buckets[this.#buckets.length - 1]!;
    const depth = this.#buckets.length - 1;
    const next: Bucket = { nodes: [], replacements: [], changedAt: last.changedAt };
    const stays = (n: RoutingNode) => sharedPrefixBits(this.id, n.id) === depth;
    next.nodes = last.nodes.filter((n) => !stays(n));
    last.nodes = last.nodes.filter(stays);
    next.replacements = last.replacements.filter((n) => !stays(n));
    last.replacements = last.replacements.filter(stays);
    this.#buckets.push(next);
  }
}

function lastSeen(n: RoutingNode): number {
  return Math.max(n.lastResponseAt, n.lastQueryAt);
}
