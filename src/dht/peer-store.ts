// Peers announced to us (BEP 5 announce_peer), served back in get_peers replies: per infoHash, capped
// in peers per hash and in hashes, each entry expiring 30 minutes after its last announce. Pure; `now` in.

import { toHex, type PeerAddress } from "../util/index.ts";

/** BEP 5 leaves the lifetime open; 30 minutes is what mainline clients use (announces come every 15). */
export const PEER_TTL_MS = 30 * 60_000;
export const MAX_PEERS_PER_HASH = 100;
export const MAX_INFO_HASHES = 2000;
/** Peers in one get_peers reply: 50 compact peers keep the datagram well under 1000 bytes. */
export const MAX_PEERS_PER_REPLY = 50;

export interface PeerStoreOptions {
  readonly ttlMs?: number;
  readonly maxPeersPerHash?: number;
  readonly maxInfoHashes?: number;
}

export class PeerStore {
  readonly #ttlMs: number;
  readonly #maxPerHash: number;
  readonly #maxHashes: number;
  /** infoHash hex -> (host:port -> peer and when it announced); both maps in least recently announced order. */
  readonly #swarms = new Map<string, Map<string, { peer: PeerAddress; at: number }>>();
  #peerCount = 0;

  constructor(options: PeerStoreOptions = {}) {
    this.#ttlMs = options.ttlMs ?? PEER_TTL_MS;
    this.#maxPerHash = options.maxPeersPerHash ?? MAX_PEERS_PER_HASH;
    this.#maxHashes = options.maxInfoHashes ?? MAX_INFO_HASHES;
  }

  get infoHashCount(): number {
    return this.#swarms.size;
  }

  get peerCount(): number {
    return this.#peerCount;
  }

  /** Records an announce; the oldest peer (or the least recently announced infoHash) gives way at a cap. */
  add(infoHash: Uint8Array, peer: PeerAddress, now: number): void {
    const key = toHex(infoHash);
    let swarm = this.#swarms.get(key);
    if (swarm) this.#swarms.delete(key); // re-inserted below: most recently announced last
    else {
      swarm = new Map();
      if (this.#swarms.size >= this.#maxHashes) this.#dropSwarm(this.#swarms.keys().next().value!);
    }
    this.#swarms.set(key, swarm);
    const address = `${peer.host}:${peer.port}`;
    if (swarm.delete(address)) this.#peerCount--;
    else if (swarm.size >= this.#maxPerHash) {
      swarm.delete(swarm.keys().next().value!);
      this.#peerCount--;
    }
    swarm.set(address, { peer: { host: peer.host, port: peer.port }, at: now });
    this.#peerCount++;
  }

  /** Up to `max` unexpired peers for `infoHash`, most recent first. */
  get(infoHash: Uint8Array, now: number, max = MAX_PEERS_PER_REPLY): PeerAddress[] {
    const swarm = this.#swarms.get(toHex(infoHash));
    if (!swarm) return [];
    this.#expireSwarm(toHex(infoHash), swarm, now);
    return [...swarm.values()].reverse().slice(0, max).map((e) => e.peer);
  }

  /** Drops every expired entry (call now and then so unqueried swarms do not linger). */
  expire(now: number): void {
    for (const [key, swarm] of [...this.#swarms]) this.#expireSwarm(key, swarm, now);
  }

  #expireSwarm(key: string, swarm: Map<string, { at: number }>, now: number): void {
    for (const [address, entry] of swarm) {
      // Entries are in announce order, so the first unexpired one ends the scan.
      if (now - entry.at < this.#ttlMs) break;
      swarm.delete(address);
      this.#peerCount--;
    }
    if (swarm.size === 0) this.#swarms.delete(key);
  }

  #dropSwarm(key: string): void {
    this.#peerCount -= this.#swarms.get(key)?.size ?? 0;
    this.#swarms.delete(key);
  }
}
