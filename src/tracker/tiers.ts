// BEP 12 tracker tiers: which announce URLs we can use, their order, and promotion of a working tracker.
// Pure; no I/O (the shuffle is injected).

/** The usable tiers plus one message per announce URL we cannot use. */
export interface TierPlan {
  /** Non-empty tiers of http(s) URLs, each shuffled once; duplicates across tiers are dropped. */
  readonly tiers: string[][];
  readonly skipped: string[];
}

/**
 * Copies the torrent's tiers, keeping only http:// and https:// URLs (udp:// and wss:// come later), and
 * shuffles each tier once: BEP 12 spreads clients over a tier's trackers this way.
 */
export function planTiers(
  announceTiers: readonly (readonly string[])[],
  shuffle: <T>(items: T[]) => T[],
): TierPlan {
  const tiers: string[][] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const tier of announceTiers) {
    const usable: string[] = [];
    for (const url of tier) {
      if (seen.has(url)) continue;
      seen.add(url);
      const problem = urlProblem(url);
      if (problem === undefined) usable.push(url);
      else skipped.push(problem);
    }
    if (usable.length > 0) tiers.push(shuffle(usable));
  }
  return { tiers, skipped };
}

function urlProblem(url: string): string | undefined {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // An unparsable URL is the torrent's problem; report it and go on with the other trackers.
    return `bad tracker url: ${trackerLabel(url)}`;
  }
  if (protocol === "http:" || protocol === "https:") return undefined;
  if (protocol === "udp:") return `udp trackers are not supported yet: ${trackerLabel(url)}`;
  return `${protocol.slice(0, -1)} trackers are not supported: ${trackerLabel(url)}`;
}

/** BEP 12: a tracker that answered moves to the front of its tier, so it is tried first next time. */
export function promoteTracker(tier: string[], index: number): void {
  if (index <= 0 || index >= tier.length) return;
  const [url] = tier.splice(index, 1);
  tier.unshift(url!);
}

/**
 * A tracker URL for messages and peer sources: without its query, because private trackers put the
 * user's passkey there and warnings end up in logs and bug reports.
 */
export function trackerLabel(url: string): string {
  const cut = url.search(/[?#]/);
  return cut >= 0 ? url.slice(0, cut) : url;
}
