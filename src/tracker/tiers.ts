// BEP 12 tracker tiers: which announce URLs we can use, their order, and promotion of a working tracker.
// Pure; no I/O (the shuffle is injected).

import { isValidPort } from "../util/index.ts";

/** The usable tiers plus one message per announce URL we cannot use. */
export interface TierPlan {
  /** Non-empty tiers of http(s) and udp URLs, each shuffled once; duplicates across tiers are dropped. */
  readonly tiers: string[][];
  readonly skipped: string[];
}

/**
 * Copies the torrent's tiers, keeping http://, https:// and udp:// (BEP 15) URLs (wss:// is not supported),
 * and shuffles each tier once: BEP 12 spreads clients over a tier's trackers this way.
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

/** Whether a tracker URL is announced to over UDP (BEP 15) rather than HTTP. */
export function isUdpTracker(url: string): boolean {
  return url.slice(0, 6).toLowerCase() === "udp://";
}

function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // An unparsable URL is the torrent's problem; report it and go on with the other trackers.
    return `bad tracker url: ${trackerLabel(url)}`;
  }
  const { protocol } = parsed;
  if (protocol === "http:" || protocol === "https:") return undefined;
  if (protocol === "udp:") {
    // BEP 15 has no default port, and `udp:host:1` (no //) has no host at all.
    const usable = isUdpTracker(url) && parsed.hostname !== "" && parsed.port !== "" && isValidPort(Number(parsed.port));
    return usable ? undefined : `bad udp tracker url (expected udp://host:port): ${trackerLabel(url)}`;
  }
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
