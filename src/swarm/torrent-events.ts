// What a Torrent reports: its stats and its events (see torrent.ts). Plain types.

import type { RippleError } from "../util/index.ts";
import type { WebSeedEvent } from "./web-seeds.ts";

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
