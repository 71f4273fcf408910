// Known peer addresses of a torrent: which to dial next, back-off after failures, bans. Pure.

import { formatPeerAddress, type PeerAddress } from "../util/index.ts";

interface Known {
  readonly address: PeerAddress;
  connected: boolean;
  failures: number;
  retryAt: number;
  banned: boolean;
}

/** Most addresses remembered per torrent; beyond it new ones are ignored (hostile trackers). */
export const MAX_KNOWN_PEERS = 2000;
const RETRY_BASE_MS = 15_000;
const MAX_FAILURES = 5;

export class PeerPool {
  readonly #known = new Map<string, Known>();

  /** Adds addresses; returns how many were new. */
  add(addresses: readonly PeerAddress[]): number {
    let added = 0;
    for (const address of addresses) {
      const key = formatPeerAddress(address);
      if (this.#known.has(key) || this.#known.size >= MAX_KNOWN_PEERS) continue;
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
      if (!k.connected && !k.banned && k.failures < MAX_FAILURES && k.retryAt <= now) out.push(k.address);
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
    k.retryAt = now + RETRY_BASE_MS * 2 ** Math.max(0, k.failures - 1);
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
    if (k) k.failures = MAX_FAILURES;
  }

  readonly #bannedUnknown = new Set<string>();
}
