// Applies the choker to live peers: a full rechoke every RECHOKE_INTERVAL_MS, and free upload slots
// filled at once between rechokes (a newly interested peer need not wait 10 s). The decision itself is
// the pure choke() in choker.ts.

import { choke, type ChokerPeer, type ChokerState } from "./choker.ts";
import type { PeerState } from "./peer-state.ts";
import type { Uploader } from "./uploader.ts";

export class Choking {
  readonly #uploader: Uploader;
  readonly #slots: number;
  #state: ChokerState = { optimistic: undefined, optimisticSince: 0 };
  lastRechokeAt = 0;

  constructor(uploader: Uploader, slots: number) {
    this.#uploader = uploader;
    this.#slots = slots;
  }

  /** Regular slots by reciprocation, the optimistic slot rotated. */
  rechoke(peers: readonly PeerState[], seeding: boolean, now: number): void {
    this.lastRechokeAt = now;
    const decision = choke(peers.map(chokerView), this.#state, { slots: this.#slots, seeding, now });
    this.#state = decision;
    for (const peer of peers) {
      if (decision.unchoked.has(peer.key)) this.#uploader.unchoke(peer);
      else this.#uploader.choke(peer);
    }
  }

  /** Unchokes waiting interested peers, oldest first, while slots are free. */
  fillFreeSlots(peers: readonly PeerState[]): void {
    let used = peers.filter((p) => !p.amChoking && p.peerInterested).length;
    if (used >= this.#slots) return;
    const waiting = peers.filter((p) => p.amChoking && p.peerInterested).sort((a, b) => a.connectedAt - b.connectedAt);
    for (const peer of waiting) {
      if (used++ >= this.#slots) break;
      this.#uploader.unchoke(peer);
    }
  }

  /** A peer left: it no longer holds the optimistic slot. */
  forget(key: string): void {
    if (this.#state.optimistic === key) this.#state = { optimistic: undefined, optimisticSince: 0 };
  }
}

function chokerView(p: PeerState): ChokerPeer {
  return {
    key: p.key,
    interested: p.peerInterested,
    snubbed: p.snubbed,
    downloadRate: p.down.bytesPerSec,
    uploadRate: p.up.bytesPerSec,
    connectedAt: p.connectedAt,
  };
}
