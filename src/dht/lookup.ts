// Iterative Kademlia lookup (BEP 5 find_node / get_peers): a shortlist ordered by XOR distance, alpha
// queries in flight, done when the k closest live nodes have all answered. Collects peers and tokens.
// Pure state machine driven by `now` and events (next / onResponse / onFailure); the node does the I/O.

import type { PeerAddress } from "../util/index.ts";
import { bytesEqual, parseIpv4 } from "../util/index.ts";
import type { KrpcResponseBody, NodeContact } from "./krpc.ts";
import { compareDistance } from "./node-id.ts";

export const DEFAULT_ALPHA = 3;
export const MIN_ALPHA = 1;
export const MAX_ALPHA = 8;
/** Nodes taken from one reply: an honest node sends 8 (BEP 5 K); more would let one node flood the shortlist. */
export const MAX_NODES_PER_RESPONSE = 8;
/** A query unanswered this long stops holding an alpha slot, so a few dead nodes do not stall a lookup. */
export const DEFAULT_SLOW_MS = 1000;

export interface LookupOptions {
  readonly target: Uint8Array;
  /** Our own id, never queried. */
  readonly selfId?: Uint8Array;
  /** Size of the result set (BEP 5 K); default 8. */
  readonly k?: number;
  /** Queries in flight, 1..8; default 3. */
  readonly alpha?: number;
  readonly maxNodesPerResponse?: number;
  /** Shortlist cap: farther unqueried entries are dropped beyond it; default 8 * k. */
  readonly maxCandidates?: number;
  /** Total queries before the lookup gives up on finding closer nodes; default 100. */
  readonly maxQueries?: number;
  readonly maxPeers?: number;
  /** A query older than this still counts as outstanding but no longer holds an alpha slot; default 1 s. */
  readonly slowMs?: number;
}

/** Where to send the next query; `key` is its host:port, which names it in onResponse/onFailure. */
export interface LookupRequest {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly id: Uint8Array | undefined;
}

interface Candidate {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  /** Unknown for bootstrap addresses until they answer. */
  id: Uint8Array | undefined;
  state: "new" | "pending" | "responded" | "failed";
  sentAt: number;
  token: Uint8Array | undefined;
}

/** A node that answered a get_peers with a token: announce_peer goes there. */
export interface TokenHolder extends NodeContact {
  readonly token: Uint8Array;
}

export class Lookup {
  readonly target: Uint8Array;
  readonly #selfId: Uint8Array | undefined;
  readonly #k: number;
  readonly #alpha: number;
  readonly #perResponse: number;
  readonly #maxCandidates: number;
  readonly #maxQueries: number;
  readonly #maxPeers: number;
  readonly #slowMs: number;
  /** Ordered closest first; candidates without an id (bootstrap) sort first. */
  #shortlist: Candidate[] = [];
  readonly #byKey = new Map<string, Candidate>();
  readonly #peers = new Map<string, PeerAddress>();
  #queries = 0;
  #responses = 0;

  constructor(options: LookupOptions, seeds: readonly { host: string; port: number; id?: Uint8Array }[]) {
    this.target = options.target;
    this.#selfId = options.selfId;
    this.#k = options.k ?? 8;
    this.#alpha = Math.min(MAX_ALPHA, Math.max(MIN_ALPHA, options.alpha ?? DEFAULT_ALPHA));
    this.#perResponse = options.maxNodesPerResponse ?? MAX_NODES_PER_RESPONSE;
    this.#maxCandidates = options.maxCandidates ?? 8 * this.#k;
    this.#maxQueries = options.maxQueries ?? 100;
    this.#maxPeers = options.maxPeers ?? 1000;
    this.#slowMs = options.slowMs ?? DEFAULT_SLOW_MS;
    for (const s of seeds) this.#add(s.host, s.port, s.id);
  }

  get queries(): number {
    return this.#queries;
  }

  get responses(): number {
    return this.#responses;
  }

  /** Queries sent and neither answered nor failed. */
  get outstanding(): number {
    return this.#shortlist.filter((c) => c.state === "pending").length;
  }

  /** True when the k closest live candidates have all answered, or nothing is left to ask. */
  get done(): boolean {
    const live = this.#live();
    if (live.length > 0 && live.every((c) => c.state === "responded")) return true;
    if (this.#shortlist.some((c) => c.state === "pending")) return false;
    return this.#queries >= this.#maxQueries || !live.some((c) => c.state === "new");
  }

  /** Requests to send now (marked pending): the closest unqueried live candidates, up to alpha in flight. */
  next(now: number): LookupRequest[] {
    if (this.done) return [];
    let inFlight = this.#shortlist.filter((c) => c.state === "pending" && now - c.sentAt < this.#slowMs).length;
    const out: LookupRequest[] = [];
    for (const c of this.#live()) {
      if (inFlight >= this.#alpha || this.#queries >= this.#maxQueries) break;
      if (c.state !== "new") continue;
      c.state = "pending";
      c.sentAt = now;
      inFlight++;
      this.#queries++;
      out.push({ key: c.key, host: c.host, port: c.port, id: c.id });
    }
    return out;
  }

  /**
   * A reply from the node queried under `key`. Returns false (and changes nothing) when no query to that
   * node is outstanding. Its id replaces the one we were told; its nodes (the first few valid ones) join
   * the shortlist; its peers and token are kept.
   */
  onResponse(key: string, body: KrpcResponseBody): boolean {
    const c = this.#byKey.get(key);
    if (!c || c.state !== "pending") return false;
    if (this.#selfId && bytesEqual(body.id, this.#selfId)) {
      c.state = "failed"; // a node claiming our id is lying or is ourselves through some loop
      return true;
    }
    this.#responses++;
    c.state = "responded";
    c.token = body.token;
    if (!c.id || !bytesEqual(c.id, body.id)) {
      c.id = body.id.slice();
      this.#sort();
    }
    let taken = 0;
    for (const n of body.nodes ?? []) {
      if (taken >= this.#perResponse) break;
      if (this.#add(n.host, n.port, n.id)) taken++;
    }
    for (const p of body.values ?? []) {
      if (this.#peers.size >= this.#maxPeers) break;
      if (p.port > 0 && parseIpv4(p.host)) this.#peers.set(`${p.host}:${p.port}`, p);
    }
    this.#trim();
    return true;
  }

  /** The query to `key` timed out or got an error reply. */
  onFailure(key: string): void {
    const c = this.#byKey.get(key);
    if (c && c.state === "pending") c.state = "failed";
  }

  peers(): PeerAddress[] {
    return [...this.#peers.values()];
  }

  /** The k closest nodes that answered, closest first. */
  closest(): NodeContact[] {
    return this.#responded().map((c) => ({ id: c.id!, host: c.host, port: c.port }));
  }

  /** The k closest answering nodes that gave a token (get_peers), for announce_peer. */
  tokenHolders(): TokenHolder[] {
    return this.#responded().flatMap((c) => (c.token ? [{ id: c.id!, host: c.host, port: c.port, token: c.token }] : []));
  }

  #responded(): Candidate[] {
    return this.#shortlist.filter((c) => c.state === "responded" && c.id).slice(0, this.#k);
  }

  /** The k closest candidates not known to have failed. */
  #live(): Candidate[] {
    const out: Candidate[] = [];
    for (const c of this.#shortlist) {
      if (c.state === "failed") continue;
      out.push(c);
      if (out.length >= this.#k) break;
    }
    return out;
  }

  #add(host: string, port: number, id: Uint8Array | undefined): boolean {
    if (port < 1 || port > 65535 || !parseIpv4(host) || host === "0.0.0.0") return false;
    if (id && this.#selfId && bytesEqual(id, this.#selfId)) return false;
    const key = `${host}:${port}`;
    if (this.#byKey.has(key)) return false;
    const c: Candidate = { key, host, port, id: id?.slice(), state: "new", sentAt: 0, token: undefined };
    this.#byKey.set(key, c);
    this.#shortlist.push(c);
    this.#sort();
    return true;
  }

  #sort(): void {
    this.#shortlist.sort((a, b) => {
      if (!a.id || !b.id) return (a.id ? 1 : 0) - (b.id ? 1 : 0);
      return compareDistance(this.target, a.id, b.id);
    });
  }

  /** Drops the farthest unqueried entries beyond the cap (failed ones stay in #byKey so they are not re-added). */
  #trim(): void {
    if (this.#shortlist.length <= this.#maxCandidates) return;
    const keep: Candidate[] = [];
    for (const c of this.#shortlist) {
      if (keep.length < this.#maxCandidates || c.state === "pending" || c.state === "responded") keep.push(c);
      else if (c.state === "new") this.#byKey.delete(c.key);
    }
    this.#shortlist = keep;
  }
}
