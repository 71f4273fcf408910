// Choker (BEP 3 tit-for-tat, as mainline, libtorrent and Transmission do it): a few regular upload slots
// for the peers that give us the most (while leeching) or take the most (while seeding), plus one
// optimistic slot rotated every 30 s that favours newly connected peers. Pure: a function of peers and now.

/** What the choker needs to know about one connected peer. */
export interface ChokerPeer {
  readonly key: string;
  /** The peer wants our pieces. */
  readonly interested: boolean;
  /** The peer has stopped sending us requested blocks; it loses a regular slot while we leech. */
  readonly snubbed: boolean;
  /** Bytes/s the peer gives us (the reciprocation measure while leeching). */
  readonly downloadRate: number;
  /** Bytes/s we give the peer (the measure while seeding: serve those who take fastest). */
  readonly uploadRate: number;
  readonly connectedAt: number;
}

export interface ChokerState {
  /** Key of the peer holding the optimistic slot, if any. */
  readonly optimistic: string | undefined;
  readonly optimisticSince: number;
}

export interface ChokerOptions {
  /** Upload slots in all, the optimistic one included (at least 1). */
  readonly slots: number;
  readonly seeding: boolean;
  readonly now: number;
  readonly random?: () => number;
}

export interface ChokeDecision extends ChokerState {
  /** Keys of the peers to unchoke; every other peer is choked. */
  readonly unchoked: ReadonlySet<string>;
}

/** BEP 3: rechoke every 10 s; rotate the optimistic unchoke every 30 s. */
export const RECHOKE_INTERVAL_MS = 10_000;
export const OPTIMISTIC_INTERVAL_MS = 30_000;
/** Peers connected for less than this are three times as likely to get the optimistic slot (mainline). */
export const NEW_PEER_MS = 60_000;
const NEW_PEER_WEIGHT = 3;
/** Upload slots per torrent, the optimistic one included: libtorrent's default (Transmission uses 14). */
export const DEFAULT_UPLOAD_SLOTS = 8;

/** Chooses who is unchoked. Call every RECHOKE_INTERVAL_MS, and when a slot may have become free. */
export function choke(peers: readonly ChokerPeer[], state: ChokerState, opts: ChokerOptions): ChokeDecision {
  const random = opts.random ?? Math.random;
  const regularSlots = Math.max(0, opts.slots - 1);
  const rate = opts.seeding ? (p: ChokerPeer) => p.uploadRate : (p: ChokerPeer) => p.downloadRate;
  const candidates = peers.filter((p) => p.interested && (opts.seeding || !p.snubbed));
  // Ties (e.g. everyone at 0 B/s at startup) go to the longest-connected peers, so slots do not churn.
  const ranked = [...candidates].sort((a, b) => rate(b) - rate(a) || a.connectedAt - b.connectedAt);
  const unchoked = new Set(ranked.slice(0, regularSlots).map((p) => p.key));

  let optimistic = state.optimistic;
  let optimisticSince = state.optimisticSince;
  const current = optimistic === undefined ? undefined : peers.find((p) => p.key === optimistic);
  const keep = current !== undefined && current.interested && !unchoked.has(current.key) && opts.now - optimisticSince < OPTIMISTIC_INTERVAL_MS;
  if (!keep) {
    optimistic = pickOptimistic(
      peers.filter((p) => p.interested && !unchoked.has(p.key)),
      opts.now,
      random,
    );
    optimisticSince = opts.now;
  }
  if (optimistic !== undefined) unchoked.add(optimistic);
  return { unchoked, optimistic, optimisticSince };
}

function pickOptimistic(pool: readonly ChokerPeer[], now: number, random: () => number): string | undefined {
  if (pool.length === 0) return undefined;
  const weight = (p: ChokerPeer) => (now - p.connectedAt < NEW_PEER_MS ? NEW_PEER_WEIGHT : 1);
  const total = pool.reduce((sum, p) => sum + weight(p), 0);
  let r = random() * total;
  for (const p of pool) {
    r -= weight(p);
    if (r < 0) return p.key;
  }
  return pool[pool.length - 1]!.key;
}
