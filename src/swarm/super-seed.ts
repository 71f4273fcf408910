// BEP 16 super-seeding: a complete seeder hides what it has and offers each peer a few pieces the swarm
// lacks most (`have`), offering more once the peer announces it has them; requests for pieces not offered
// to that peer are refused. The origin of a fleet then uploads each piece about once and the peers spread
// it. Lenient like libtorrent's default: a new offer follows the peer's own `have`, or a third peer's.

import { encodeMessage } from "../wire/index.ts";
import type { PeerState } from "./peer-state.ts";

/** Pieces offered to one peer at once, at least: two keep its pipeline busy while the next `have` is in flight. */
export const OFFERS_PER_PEER = 2;
/** Bytes offered to one peer at once: small pieces get more offers, so a connection is not starved by round trips. */
const OFFERED_BYTES_PER_PEER = 1024 * 1024;
const MAX_OFFERS_PER_PEER = 16;

/** Offers per peer for pieces of `pieceLength` bytes: about OFFERED_BYTES_PER_PEER, 2 to 16 pieces. */
export function offersPerPeer(pieceLength: number): number {
  return Math.min(MAX_OFFERS_PER_PEER, Math.max(OFFERS_PER_PEER, Math.ceil(OFFERED_BYTES_PER_PEER / pieceLength)));
}
/** Pieces compared per offer (from a random start): bounded work per `have` on torrents of any size. */
const SCAN_WINDOW = 4096;

export class SuperSeeder {
  readonly #pieceCount: number;
  /** Copies of each piece among connected peers (the picker's availability). */
  readonly #availability: Uint16Array;
  /** Offers outstanding per piece. */
  readonly #offered: Uint16Array;
  readonly #offers = new Map<PeerState, Set<number>>();
  readonly #random: () => number;
  readonly #perPeer: number;

  constructor(pieceCount: number, availability: Uint16Array, opts: { perPeer?: number; random?: () => number } = {}) {
    this.#pieceCount = pieceCount;
    this.#availability = availability;
    this.#offered = new Uint16Array(pieceCount);
    this.#random = opts.random ?? Math.random;
    this.#perPeer = opts.perPeer ?? OFFERS_PER_PEER;
  }

  /** Greets a new peer: BEP 16 seeders show no pieces (have_none to BEP 6 peers, nothing to others), then offer. */
  greet(peer: PeerState): void {
    if (peer.fast) peer.conn.send(encodeMessage({ type: "have_none" }));
    this.#offer(peer);
  }

  /** Whether `peer` may request `index`: only pieces offered to it. */
  allows(peer: PeerState, index: number): boolean {
    return this.#offers.get(peer)?.has(index) ?? false;
  }

  /**
   * The peer announced `index` (or a bitfield: index undefined). Offers it holds now are settled and it gets
   * new ones; so are other peers' offers of that piece (BEP 16: seen elsewhere, it is spreading), which
   * also keeps peers that do not send `have` for pieces they think we have from waiting forever.
   */
  onPeerHas(peer: PeerState, index?: number): void {
    this.#settle(peer);
    this.#offer(peer);
    if (index === undefined || this.#offered[index] === 0) return;
    for (const [other, offers] of this.#offers) {
      if (other === peer || !offers.delete(index)) continue;
      this.#offered[index]!--;
      this.#offer(other);
    }
  }

  #settle(peer: PeerState): void {
    const offers = this.#offers.get(peer);
    if (!offers) return;
    for (const index of offers) {
      if (!peer.has.has(index)) continue;
      offers.delete(index);
      this.#offered[index]!--;
    }
  }

  /** The peer left: its offers go back. */
  forget(peer: PeerState): void {
    for (const index of this.#offers.get(peer) ?? []) this.#offered[index]!--;
    this.#offers.delete(peer);
  }

  #offer(peer: PeerState): void {
    let offers = this.#offers.get(peer);
    if (!offers) this.#offers.set(peer, (offers = new Set()));
    while (offers.size < this.#perPeer) {
      const index = this.#leastSpread(peer, offers);
      if (index < 0) return;
      offers.add(index);
      this.#offered[index]!++;
      peer.conn.send(encodeMessage({ type: "have", index }));
    }
  }

  /** A piece the peer lacks that the fewest peers have or were offered (random among equals), or -1. */
  #leastSpread(peer: PeerState, offers: Set<number>): number {
    const n = this.#pieceCount;
    const start = Math.floor(this.#random() * n);
    let best = -1;
    let bestScore = Infinity;
    for (let k = 0; k < n && (k < SCAN_WINDOW || best < 0); k++) {
      const i = (start + k) % n;
      if (peer.has.has(i) || offers.has(i)) continue;
      const score = this.#availability[i]! + this.#offered[i]!;
      if (score < bestScore) {
        best = i;
        bestScore = score;
        if (score === 0) break;
      }
    }
    return best;
  }
}
