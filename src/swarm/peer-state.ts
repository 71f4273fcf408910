// What the swarm knows about one connected peer: its pieces, choke/interest flags, our requests to it
// and its requests to us. Pure state attached to a PeerConnection.

import type { PeerConnection } from "../peer/index.ts";
import { Bitfield } from "../wire/index.ts";
import { BLOCK_SIZE } from "../metainfo/index.ts";
import { RateMeter } from "./rate.ts";
import { LIMITS } from "../util/index.ts";

/** Request queue depth bounds: deep on fast links, hundreds of blocks on loopback. */
export const MIN_QUEUE_DEPTH = 16;
export const MAX_QUEUE_DEPTH = LIMITS.requestsPerPeer;
/** Seconds of the peer's current rate we keep requested ahead. */
export const QUEUE_AHEAD_SEC = 1;
/** A peer with requests outstanding and no block for this long is snubbing us... */
export const SNUB_TIMEOUT_MS = 30_000;
/** ... and is dropped after this long. */
export const DEAD_PEER_TIMEOUT_MS = 90_000;
/** BEP 3: peers drop a connection silent for about two minutes, so say something every minute. */
export const KEEP_ALIVE_INTERVAL_MS = 60_000;
const KEEP_ALIVE = new Uint8Array(4);

/** What a peer's extended handshakes told us (BEP 10). */
export interface PeerExtensions {
  /** Extension name -> the id to send it to this peer under. */
  readonly ids: Map<string, number>;
  /** Its listen port (`p`), so we can tell others where to reach it. */
  listenPort?: number;
  client?: string;
  /** ut_metadata requests it made (capped). */
  metadataRequests: number;
}

/** One block a peer asked us for. */
export interface UploadRequest {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

export class PeerState {
  readonly conn: PeerConnection;
  readonly key: string;
  has: Bitfield;
  /** The peer chokes us / we want its pieces. */
  peerChoking = true;
  amInterested = false;
  peerInterested = false;
  /** We choke the peer (BEP 3: every connection starts choked both ways). */
  amChoking = true;
  /** Both sides set the BEP 6 fast bit. */
  fast = false;
  /** BEP 6 allowed_fast pieces the peer lets us request while it chokes us. */
  readonly allowedFast = new Set<number>();
  /** BEP 6 allowed_fast pieces we gave the peer: its requests for them are served while we choke it. */
  readonly allowedFastGiven = new Set<number>();
  /** The peer's requests waiting to be served, in arrival order. */
  readonly uploadQueue: UploadRequest[] = [];
  /** A serve of uploadQueue is scheduled for the end of the socket chunk being read (Uploader). */
  serveScheduled = false;
  readonly up = new RateMeter();
  readonly connectedAt: number;
  /** BEP 10 state, once the peer's extended handshake arrived. */
  ext: PeerExtensions | undefined;
  /** BEP 11: addresses we told this peer about (so the next message sends only changes), and when. */
  readonly pexKnown = new Set<string>();
  pexSentAt = -Infinity;
  /** Keys (picker.blockKey) of blocks requested from this peer and not yet received. */
  readonly requests = new Set<number>();
  /** Pieces it has that we lack: interest is simply lacking > 0. */
  lacking = 0;
  depth = MIN_QUEUE_DEPTH * 2;
  readonly down = new RateMeter();
  /** Last time a requested block arrived, or the clock started waiting for one. */
  lastProgressAt: number;
  snubbed = false;
  /** Blocks that arrived unrequested (endgame leftovers are fine; floods are not). */
  unrequestedBlocks = 0;
  /** Chokes received lately (halved every tick): a peer flapping choke/unchoke is dropped. */
  chokesReceived = 0;
  sawBitfield = false;
  /** conn.sentMessages at the last tick, and since when it has not changed (keep-alive timing). */
  sentAtLastTick = 0;
  quietSinceMs: number;

  constructor(conn: PeerConnection, key: string, pieceCount: number, now: number) {
    this.conn = conn;
    this.key = key;
    this.has = new Bitfield(pieceCount);
    this.lastProgressAt = now;
    this.connectedAt = now;
    this.quietSinceMs = now;
  }

  /**
   * The torrent's once-a-second tick for this peer: rates, queue depth, keep-alive; says whether the
   * peer has just started snubbing us or is dead (the torrent cancels or drops).
   */
  tick(now: number, elapsedMs: number): "snubbing" | "dead" | undefined {
    if (this.conn.sentMessages !== this.sentAtLastTick) {
      this.sentAtLastTick = this.conn.sentMessages;
      this.quietSinceMs = now;
    } else if (now - this.quietSinceMs >= KEEP_ALIVE_INTERVAL_MS) {
      this.conn.send(KEEP_ALIVE);
    }
    this.unrequestedBlocks >>= 1; // strays are forgiven over time; a flood is not
    this.chokesReceived >>= 1;
    this.down.tick(elapsedMs);
    this.up.tick(elapsedMs);
    this.adaptDepth(BLOCK_SIZE);
    if (this.requests.size === 0 || now - this.lastProgressAt <= SNUB_TIMEOUT_MS) return undefined;
    if (now - this.lastProgressAt > DEAD_PEER_TIMEOUT_MS) return "dead";
    if (this.snubbed) return undefined;
    this.snubbed = true;
    return "snubbing";
  }

  /** Adapts the request queue depth to the measured rate (call once per tick). */
  adaptDepth(blockSize: number): void {
    if (this.snubbed) {
      this.depth = 1;
      return;
    }
    const wanted = Math.ceil((this.down.bytesPerSec * QUEUE_AHEAD_SEC) / blockSize);
    this.depth = Math.min(MAX_QUEUE_DEPTH, Math.max(MIN_QUEUE_DEPTH, wanted));
  }
}
