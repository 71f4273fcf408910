// The tracker server's swarm store (BEP 3 announce semantics, shared by HTTP and BEP 15 UDP): peers per
// infoHash, counts, expiry and memory caps. Pure; no I/O: time comes in as `nowMs`, randomness as `random`.

import { toHex } from "../util/index.ts";
import type { IpAddress } from "./server-ip.ts";

/** BEP 3 announce events; BEP 21 `paused` is a regular announce here. */
export type SwarmEvent = "started" | "completed" | "stopped" | "paused";

export interface SwarmAnnounce {
  /** 20 raw bytes. */
  readonly infoHash: Uint8Array;
  /** 20 raw bytes. */
  readonly peerId: Uint8Array;
  /** The source address of the request (see server-http-codec.ts for why the `ip` parameter is ignored). */
  readonly ip: IpAddress;
  readonly port: number;
  /** Bytes left; undefined (not sent) counts as a leecher. */
  readonly left: number | undefined;
  readonly event?: SwarmEvent;
  /** Peers wanted; clamped to [0, MAX_NUMWANT]. */
  readonly numWant: number;
}

export interface SwarmPeer {
  readonly peerId: Uint8Array;
  readonly ip: IpAddress;
  readonly port: number;
  readonly seeder: boolean;
  readonly lastSeenMs: number;
}

/** BEP 48 scrape counts: seeders, leechers, `completed` events seen. */
export interface SwarmCounts {
  readonly complete: number;
  readonly incomplete: number;
  readonly downloaded: number;
}

export type SwarmAnnounceResult = { readonly failure: string } | (SwarmCounts & { readonly peers: SwarmPeer[] });

export interface TrackerSwarmOptions {
  /** The announce interval handed to peers; a peer that misses two of them (plus grace) expires. */
  readonly intervalSec: number;
  /** Seconds a peer may be late beyond two intervals before it expires (default 60). */
  readonly graceSec?: number;
  /** Hex infoHashes; when given, every other hash is refused. */
  readonly allow?: Iterable<string>;
  /** Torrents held at once; a new one beyond this is refused (default 1000). */
  readonly maxTorrents?: number;
  /** Peers held per torrent; a new one beyond this is refused (default 1000). */
  readonly maxPeersPerTorrent?: number;
  /** Uniform in [0, 1); the shell passes Math.random, tests a seeded generator. */
  readonly random: () => number;
}

/** Peers sent when the request does not say (BEP 3 suggests 50). */
export const DEFAULT_NUMWANT = 50;
/** Most peers sent in one reply, whatever numwant asks (opentracker uses 200 too). */
export const MAX_NUMWANT = 200;
export const DEFAULT_MAX_TORRENTS = 1000;
export const DEFAULT_MAX_PEERS_PER_TORRENT = 1000;
export const DEFAULT_GRACE_SEC = 60;
/** A full store sweeps for expired peers before refusing, but not more often than this. */
const FULL_SWEEP_MIN_GAP_MS = 5000;

export const NOT_ALLOWED_REASON = "info_hash not allowed on this tracker";
export const TOO_MANY_TORRENTS_REASON = "tracker full: too many torrents";
export const TOO_MANY_PEERS_REASON = "tracker full: too many peers for this torrent";

interface Torrent {
  /** Insertion order = last-seen order (re-inserted on each announce), so expired peers sit at the front. */
  readonly peers: Map<string, SwarmPeer>;
  seeders: number;
  downloaded: number;
  /** Last announce of any peer; an empty torrent is forgotten (with its counts) once this expires too. */
  lastSeenMs: number;
}

/** Peers per infoHash with BEP 3 counts, expiry and caps. `nowMs` must never go backwards (expiry relies on it). */
export class TrackerSwarm {
  readonly #torrents = new Map<string, Torrent>();
  readonly #allow: ReadonlySet<string> | undefined;
  readonly #expireAfterMs: number;
  readonly #maxTorrents: number;
  readonly #maxPeers: number;
  readonly #random: () => number;
  #lastFullSweepMs = -Infinity;

  constructor(options: TrackerSwarmOptions) {
    this.#allow = options.allow === undefined ? undefined : new Set([...options.allow].map((h) => h.toLowerCase()));
    this.#expireAfterMs = (2 * options.intervalSec + (options.graceSec ?? DEFAULT_GRACE_SEC)) * 1000;
    this.#maxTorrents = options.maxTorrents ?? DEFAULT_MAX_TORRENTS;
    this.#maxPeers = options.maxPeersPerTorrent ?? DEFAULT_MAX_PEERS_PER_TORRENT;
    this.#random = options.random;
  }

  isAllowed(infoHash: Uint8Array): boolean {
    return this.#allow === undefined || this.#allow.has(toHex(infoHash));
  }

  /** Records an announce and picks up to numWant other live peers at random (seeders get no seeders). */
  announce(req: SwarmAnnounce, nowMs: number): SwarmAnnounceResult {
    const hash = toHex(req.infoHash);
    if (this.#allow !== undefined && !this.#allow.has(hash)) return { failure: NOT_ALLOWED_REASON };
    let torrent = this.#torrents.get(hash);
    if (torrent !== undefined) this.#expire(hash, torrent, nowMs);
    torrent = this.#torrents.get(hash);
    if (torrent !== undefined) torrent.lastSeenMs = nowMs;
    const key = `${req.ip.text}|${req.port}|${toHex(req.peerId)}`;
    const old = torrent?.peers.get(key);

    if (req.event === "stopped") {
      if (torrent !== undefined && old !== undefined) this.#remove(torrent, key);
      return { ...countsOf(torrent), peers: [] };
    }
    if (torrent === undefined) {
      if (this.#torrents.size >= this.#maxTorrents) this.#sweepWhenFull(nowMs);
      if (this.#torrents.size >= this.#maxTorrents) return { failure: TOO_MANY_TORRENTS_REASON };
      torrent = { peers: new Map(), seeders: 0, downloaded: 0, lastSeenMs: nowMs };
      this.#torrents.set(hash, torrent);
    }
    if (old === undefined && torrent.peers.size >= this.#maxPeers) return { failure: TOO_MANY_PEERS_REASON };

    const seeder = req.left === 0;
    // `completed` counts once per peer: a client repeating it, or already a seeder, adds nothing.
    if (req.event === "completed" && !(old?.seeder ?? false)) torrent.downloaded++;
    if (old !== undefined) {
      if (old.seeder) torrent.seeders--;
      torrent.peers.delete(key);
    }
    const peer: SwarmPeer = { peerId: req.peerId, ip: req.ip, port: req.port, seeder, lastSeenMs: nowMs };
    torrent.peers.set(key, peer);
    if (seeder) torrent.seeders++;

    const numWant = Math.max(0, Math.min(MAX_NUMWANT, Math.floor(req.numWant)));
    const candidates: SwarmPeer[] = [];
    for (const [k, p] of torrent.peers) {
      if (k === key || (p.port === req.port && p.ip.text === req.ip.text)) continue; // never the announcer itself
      if (seeder && p.seeder) continue; // a seeder has nothing to gain from another seeder
      candidates.push(p);
    }
    return { ...countsOf(torrent), peers: pickRandom(candidates, numWant, this.#random) };
  }

  /** Counts for a hash (zeros when unknown), or undefined when the allow-list refuses it. */
  scrape(infoHash: Uint8Array, nowMs: number): SwarmCounts | undefined {
    const hash = toHex(infoHash);
    if (this.#allow !== undefined && !this.#allow.has(hash)) return undefined;
    const torrent = this.#torrents.get(hash);
    if (torrent !== undefined) this.#expire(hash, torrent, nowMs);
    return countsOf(this.#torrents.get(hash));
  }

  /** Drops every expired peer and expired empty torrent; returns how many peers went. The shell calls it on a timer. */
  sweep(nowMs: number): number {
    let removed = 0;
    for (const [hash, torrent] of [...this.#torrents]) removed += this.#expire(hash, torrent, nowMs);
    return removed;
  }

  stats(): { torrents: number; peers: number; seeders: number; leechers: number } {
    let peers = 0;
    let seeders = 0;
    for (const t of this.#torrents.values()) {
      peers += t.peers.size;
      seeders += t.seeders;
    }
    return { torrents: this.#torrents.size, peers, seeders, leechers: peers - seeders };
  }

  #sweepWhenFull(nowMs: number): void {
    // Rate-limited so a flood of new hashes against a full store cannot make every announce walk all peers.
    if (nowMs - this.#lastFullSweepMs < FULL_SWEEP_MIN_GAP_MS) return;
    this.#lastFullSweepMs = nowMs;
    this.sweep(nowMs);
  }

  #expire(hash: string, torrent: Torrent, nowMs: number): number {
    let removed = 0;
    for (const [key, peer] of torrent.peers) {
      if (nowMs - peer.lastSeenMs <= this.#expireAfterMs) break; // the rest were seen later
      this.#remove(torrent, key);
      removed++;
    }
    // An idle empty torrent is forgotten with its `downloaded` count: memory follows live swarms only.
    if (torrent.peers.size === 0 && nowMs - torrent.lastSeenMs > this.#expireAfterMs) this.#torrents.delete(hash);
    return removed;
  }

  #remove(torrent: Torrent, key: string): void {
    const peer = torrent.peers.get(key);
    if (peer === undefined) return;
    if (peer.seeder) torrent.seeders--;
    torrent.peers.delete(key);
  }
}

function countsOf(torrent: Torrent | undefined): SwarmCounts {
  if (torrent === undefined) return { complete: 0, incomplete: 0, downloaded: 0 };
  return { complete: torrent.seeders, incomplete: torrent.peers.size - torrent.seeders, downloaded: torrent.downloaded };
}

/** Up to `count` distinct items, uniformly at random (partial Fisher-Yates; `items` is reordered). */
function pickRandom<T>(items: T[], count: number, random: () => number): T[] {
  const n = Math.min(count, items.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (items.length - i));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items.slice(0, n);
}
