// What a Torrent takes (its options) and reports (its stats and events); see torrent.ts. Plain types.

import type { Announcer, AnnouncerHooks, Clock, Logger, RippleError } from "../util/index.ts";
import type { Metainfo } from "../metainfo/index.ts";
import type { Storage } from "../storage/index.ts";
import type { DialOptions } from "./dial-encryption.ts";
import type { TokenBucket } from "./token-bucket.ts";
import type { WebSeedEvent } from "./web-seeds.ts";

export interface TorrentOptions {
  meta: Metainfo;
  storage: Storage;
  peerId: Uint8Array;
  /** Connections at once (outgoing and incoming). */
  maxPeers?: number;
  /** Bytes of piece buffers in flight at once. */
  memoryBudgetBytes?: number;
  /** Upload slots (regular + 1 optimistic). Default DEFAULT_UPLOAD_SLOTS. */
  uploadSlots?: number;
  /** Shared rate limits (a Client passes the same buckets to all its torrents). */
  uploadBucket?: TokenBucket;
  downloadBucket?: TokenBucket;
  createAnnouncer?: (hooks: AnnouncerHooks) => Announcer | undefined;
  /** The resume file (the storage layout's `resume`); undefined = hash whatever is on disk at start. */
  resumePath?: string;
  /** Per torrent file: whether to download it (default all); the storage must have the same selection. */
  selectedFiles?: readonly boolean[];
  /** BEP 19 web seeds (the torrent's url-list, a magnet's ws) to download from besides peers. */
  webSeeds?: readonly string[];
  /** Only seed: data missing after the check is an error (VERIFY), and nothing is announced. */
  seedOnly?: boolean;
  /** With seedOnly: BEP 16 super-seeding (each peer is offered a few pieces the swarm lacks). */
  superSeed?: boolean;
  /** Our listen port (for the BEP 10 handshake's `p`) and version (its `v`). */
  listenPort?: () => number;
  /** Dialing: the handshake deadline (default HANDSHAKE_TIMEOUT_MS, 20 s) and encryption (default plaintext). */
  dial?: DialOptions;
  version?: string;
  log?: Logger;
  clock?: Clock;
}

export interface TorrentStats {
  pieceCount: number;
  piecesDone: number;
  /** Bytes of the pieces this download wants (the whole torrent unless files are deselected). */
  totalBytes: number;
  /** Bytes of those pieces verified so far. */
  verifiedBytes: number;
  downloadedBytes: number;
  uploadedBytes: number;
  downloadRate: number;
  uploadRate: number;
  peers: number;
  knownPeers: number;
}

export interface TorrentEvents extends Record<string, unknown> {
  /** Hashing data found on disk at start: pieces hashed so far of those to hash. */
  checking: { piecesChecked: number; piecesToCheck: number };
  /** The data on disk is checked (piecesDone says how much was there); peers come next. */
  ready: TorrentStats;
  piece: { index: number };
  /** `disconnected` also reports a peer dropped before its handshake completed (wrong infoHash, timeout, encryption). */
  peer: { event: "connected" | "disconnected" | "banned"; address: string; reason?: string; encryption?: "rc4" | "plaintext"; transport?: "tcp" | "utp" };
  warning: { message: string };
  /** A tracker answered an announce (`url` without its query string) with this many peers. */
  tracker: { url: string; peers: number };
  /** Once a second while running or seeding, and once more when done. */
  progress: TorrentStats;
  /** Every piece is verified and the files have their final size; the torrent goes on seeding. */
  done: TorrentStats;
  error: { error: RippleError };
  /** After stop(): peers closed, `stopped` announced, files closed. */
  stopped: TorrentStats;
  /** A BEP 19 web seed started serving, failed for one file, backs off, or was banned. */
  webseed: WebSeedEvent;
}
