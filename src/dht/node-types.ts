// The DHT node's contract (BEP 5): options, the DhtNode interface, stats, defaults. Types and constants only;
// the behaviour lives in node.ts.

import type { Clock, Logger, PeerAddress } from "../util/index.ts";
import type { NodeContact } from "./krpc.ts";
import type { ReplyLimits } from "./rate-limit.ts";

/** Public routers, for users of the client only; tests always pass loopback bootstrap nodes instead. */
export const DEFAULT_DHT_BOOTSTRAP: readonly PeerAddress[] = [
  { host: "router.bittorrent.com", port: 6881 },
  { host: "dht.transmissionbt.com", port: 6881 },
  { host: "router.utorrent.com", port: 6881 },
  { host: "dht.libtorrent.org", port: 25401 },
];
/** BEP 5: buckets untouched for 15 minutes are refreshed with a lookup of a random id inside them. */
export const BUCKET_REFRESH_MS = 15 * 60_000;
/** Loopback and healthy nodes answer in milliseconds; mainline clients give up after a few seconds. */
export const DEFAULT_QUERY_TIMEOUT_MS = 2_000;
export const DEFAULT_MAX_OUTSTANDING = 256;
/** Datagrams larger than this are dropped unread (DHT messages are a few hundred bytes). */
export const MAX_PACKET_BYTES = 2048;

export interface DhtNodeOptions {
  /** Bind address; default 0.0.0.0 (tests bind 127.0.0.1). */
  readonly host?: string;
  /** UDP port; 0 picks a free one. */
  readonly port: number;
  /** Nodes to join through (names are resolved to IPv4); used when the table is (nearly) empty. */
  readonly bootstrap: readonly PeerAddress[];
  /** JSON file holding our id and routing table across restarts. */
  readonly statePath?: string;
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Fixed node id (tests); default: the saved one, else BEP 42 for `externalIp`, else random. */
  readonly nodeId?: Uint8Array;
  /** Our public IPv4 address if known: the node id is derived from it (BEP 42). */
  readonly externalIp?: string;
  readonly queryTimeoutMs?: number;
  /** Queries in flight at once; more wait in a bounded queue. */
  readonly maxOutstanding?: number;
  /** Lookup parallelism, 3..8 (clamped to 1..8). */
  readonly alpha?: number;
  readonly replyLimits?: Partial<ReplyLimits>;
  /** Routing table cap (default 1000 nodes). */
  readonly maxNodes?: number;
}

export interface DhtAnnounceResult {
  readonly peers: PeerAddress[];
  /** Nodes that accepted our announce_peer. */
  readonly announcedTo: number;
}

export interface DhtStats {
  readonly nodes: number;
  readonly goodNodes: number;
  readonly questionableNodes: number;
  readonly replacementNodes: number;
  readonly buckets: number;
  readonly storedInfoHashes: number;
  readonly storedPeers: number;
  readonly outstandingQueries: number;
  readonly queuedQueries: number;
  readonly trackedIps: number;
  readonly queriesSent: number;
  readonly responsesReceived: number;
  readonly timeouts: number;
  readonly queriesReceived: number;
  readonly malformedPackets: number;
  readonly rateLimited: number;
  /** Errors the socket reported, e.g. ICMP port unreachable from a node that went away. */
  readonly socketErrors: number;
  /** Our address as most nodes report it (BEP 42 `ip`), once three agreed. */
  readonly externalIp: string | undefined;
}

export interface DhtNode {
  readonly port: number;
  readonly nodeId: Uint8Array;
  /** Settles when the first bootstrap lookup has finished (at once with nothing to bootstrap from). */
  readonly ready: Promise<void>;
  /** One iterative get_peers lookup; the peers it found (possibly none). Never rejects. */
  getPeers(infoHash: Uint8Array): Promise<PeerAddress[]>;
  /** A get_peers lookup, then announce_peer of our TCP `port` to the closest nodes that gave a token. */
  announce(infoHash: Uint8Array, port: number): Promise<DhtAnnounceResult>;
  /** Up to `count` nodes of our table closest to `target`. */
  closestNodes(target: Uint8Array, count?: number): NodeContact[];
  stats(): DhtStats;
  /** Writes the state file now (no-op without statePath). */
  saveState(): Promise<void>;
  /** Stops timers and lookups, saves the state, closes the socket. */
  stop(): Promise<void>;
}
