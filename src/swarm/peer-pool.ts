// Known peer addresses of a torrent: which to dial next, back-off after failures, bans. Pure.

import { LIMITS, formatPeerAddress, type PeerAddress } from "../util/index.ts";

interface Known {
  readonly address: PeerAddress;
  connected: boolean;
  failures: number;
  retryAt: number;
  banned: boolean;
}

/** Most addresses remembered per torrent; beyond it new ones are ignored (hostile trackers). */
export const MAX_KNOWN_PEERS = LIMITS.knownPeersPerTorrent;
const RETRY_BASE_MS = 15_000;
/** A peer that keeps failing is still retried, but no more often than this. */
const RETRY_MAX_MS = 5 * 60_000;
/** After this many failures in a row an address no longer counts as a usable source (see hasUsable). */
const MAX_FAILURES = 5;

export class PeerPool {
  readonly #known = new Map<string, Known>();

  /**
   * Adds addresses; returns how many were new. A known address handed over again (a tracker still lists
   * it) may be dialed again at once, whatever its past failures.
   */
  add(addresses: readonly PeerAddress[]): number {
    let added = 0;
    for (const address of addresses) {
      const key = formatPeerAddress(address);
      const known = this.#known.get(key);
      if (known) {
        if (!known.connected && !known.banned && known.failures < Infinity) known.retryAt = 0;
        continue;
      }
      if (this.#known.size >= MAX_KNOWN_PEERS) continue;
      this.#known.set(key, { address, connected: false, failures: 0, retryAt: 0, banned: false });
      added++;
    }
    return added;
  }

  get size(): number {
    return this.#known.size;
  }

  /** Addresses worth dialing now, at most `n`. */
  candidates(n: number, now: number): PeerAddress[] {
    const out: PeerAddress[] = [];
    for (const k of this.#known.values()) {
      if (out.length >= n) break;
      if (!k.connected && !k.banned && k.failures !== Infinity && k.retryAt <= now) out.push(k.address);
    }
    return out;
  }

  /** True when some address could still be dialed now or later. */
  hasUsable(): boolean {
    for (const k of this.#known.values()) if (!k.connected && !k.banned && k.failures < MAX_FAILURES) return true;
    return false;
  }

  markConnecting(key: string): void {
    const k = this.#known.get(key);
    if (k) k.connected = true;
  }

  /** A connection ended; `failed` (no useful session) backs the address off exponentially. */
  markClosed(key: string, failed: boolean, now: number): void {
    const k = this.#known.get(key);
    if (!k) return;
    k.connected = false;
    k.failures = failed ? k.failures + 1 : 0;
    k.retryAt = now + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, k.failures - 1));
  }

  /** The address may be dialed again at once (e.g. in plaintext after an encrypted dial failed). */
  retryNow(key: string): void {
    const k = this.#known.get(key);
    if (k && !k.connected) k.retryAt = 0;
  }

  ban(key: string): void {
    const k = this.#known.get(key);
    if (k) k.banned = true;
    else this.#bannedUnknown.add(key);
  }

  isBanned(key: string): boolean {
    return this.#known.get(key)?.banned === true || this.#bannedUnknown.has(key);
  }

  /** Never dial this address (e.g. it is ourselves). */
  forget(key: string): void {
    const k = this.#known.get(key);
    if (k) k.failures = Infinity;
  }

  readonly #bannedUnknown = new Set<string>();
}
