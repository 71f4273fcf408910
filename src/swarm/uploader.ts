// The upload side of a torrent (BEP 3 request/piece/cancel, BEP 6 reject): validates each request,
// queues it per peer, and serves verified pieces through a read cache while the peer's socket has room.
// Event-driven: serving happens on a request, an unchoke, a drain or a rate-limit wake-up.

import { LIMITS, WireError, type Clock } from "../util/index.ts";
import { BLOCK_SIZE, pieceLengthAt, type Metainfo } from "../metainfo/index.ts";
import { PIECE_HEADER_LENGTH, encodeMessage, writePieceHeader, type Bitfield } from "../wire/index.ts";
import type { PeerState } from "./peer-state.ts";
import type { ReadCache } from "./read-cache.ts";
import type { TokenBucket } from "./token-bucket.ts";

/**
 * Requests a peer may have waiting before it counts as a flood and is dropped. Clients pipeline a few
 * hundred at most (libtorrent allows 2000 queued before it drops a peer; we match that).
 */
export const MAX_QUEUED_REQUESTS = LIMITS.queuedRequestsPerPeer;
/** Unsent bytes past which a peer that still sends requests we reject is dropped (uploads stop far below). */
export const MAX_UNREAD_BYTES = LIMITS.unreadBytesPerPeer;
/** Most block bytes copied into one send. */
const UPLOAD_BATCH_BYTES = 256 * 1024;

/** What an uploader is built with. */
export interface UploaderSettings {
  readonly meta: Metainfo;
  /** Pieces we have verified; only these are served. */
  readonly have: Bitfield;
  /** A further say on what one peer may have (super-seeding serves each peer only what it was offered). */
  readonly allows?: (peer: PeerState, index: number) => boolean;
  readonly cache: ReadCache;
  readonly clock: Clock;
  readonly bucket: TokenBucket | undefined;
}

/** What an uploader asks of its torrent, and reports to it. */
export interface UploaderHandler {
  /** Called for every block sent. */
  onUploaded(peer: PeerState, bytes: number): void;
  /** Asks to be called back (serveAll) after `ms`, when the upload rate limit allows more. */
  wakeAfter(ms: number): void;
  /** Serving failed outside a caller's stack (a deferred serve): a StorageError when the data went missing. */
  onError(err: unknown): void;
}

export class Uploader {
  readonly #settings: UploaderSettings;
  readonly #handler: UploaderHandler;
  /**
   * One batch of piece messages is built here and handed to the connection as transient: the socket
   * copies what it takes, so the buffer is reused for the next batch. A fresh buffer per batch was a
   * seeder's whole upload volume in garbage, and JSC let ~100 MiB of it pile up before collecting.
   */
  #batch = new Uint8Array(0);
  /** A view of #batch for the piece headers, made with it. */
  #batchView = new DataView(this.#batch.buffer);

  constructor(settings: UploaderSettings, handler: UploaderHandler) {
    this.#settings = settings;
    this.#handler = handler;
  }

  /** A `request` arrived. Throws WireError for a request no honest peer sends (the caller drops it). */
  onRequest(peer: PeerState, index: number, begin: number, length: number): void {
    const { meta } = this.#settings;
    // drop: a request no honest peer sends (piece, length or end out of range).
    if (index >= meta.pieceCount) throw new WireError(`request for piece ${index} out of range (${meta.pieceCount} pieces)`);
    if (length === 0 || length > BLOCK_SIZE) throw new WireError(`request length ${length} out of range (1..${BLOCK_SIZE})`);
    const pieceLength = pieceLengthAt(meta, index);
    if (begin + length > pieceLength) throw new WireError(`request ${index}:${begin}+${length} runs past the piece end (${pieceLength})`);
    if ((peer.amChoking && !peer.allowedFastGiven.has(index)) || !this.#settings.have.has(index) || this.#settings.allows?.(peer, index) === false) {
      // ignore (BEP 3): requests while choked (but for its allowed fast set, BEP 6) or for pieces we
      // lack (or do not show: BEP 16); BEP 6 peers get a reject each.
      // drop: a peer that floods such requests without reading our rejects (they would pile up unsent).
      if (!peer.fast) return;
      if (peer.conn.queuedBytes > MAX_UNREAD_BYTES) throw new WireError(`request flood: ${peer.conn.queuedBytes} bytes of replies left unread`);
      peer.conn.send(encodeMessage({ type: "reject", index, begin, length }));
      return;
    }
    // drop: more than MAX_QUEUED_REQUESTS waiting (it asks faster than it reads what we send).
    if (peer.uploadQueue.length >= MAX_QUEUED_REQUESTS) throw new WireError(`request flood: more than ${MAX_QUEUED_REQUESTS} requests queued`);
    peer.uploadQueue.push({ index, begin, length });
    this.#serveSoon(peer);
  }

  /**
   * Serves once every request in the socket chunk being read is queued (a microtask runs after the
   * chunk's messages are handled): a client pipelining hundreds of requests gets batched sends, not
   * one syscall per 16 KiB block.
   */
  #serveSoon(peer: PeerState): void {
    if (peer.serveScheduled) return;
    peer.serveScheduled = true;
    queueMicrotask(() => {
      peer.serveScheduled = false;
      try {
        this.serve(peer);
      } catch (err) {
        this.#handler.onError(err);
      }
    });
  }

  onCancel(peer: PeerState, index: number, begin: number, length: number): void {
    const q = peer.uploadQueue;
    const at = q.findIndex((r) => r.index === index && r.begin === begin && r.length === length);
    if (at >= 0) q.splice(at, 1);
  }

  /**
   * Sends `choke` and drops the peer's queue (BEP 6 peers get a `reject` for each dropped request),
   * but for requests in its allowed fast set, which stay.
   */
  choke(peer: PeerState): void {
    if (peer.amChoking) return;
    peer.amChoking = true;
    peer.conn.send(encodeMessage({ type: "choke" }));
    const kept = peer.uploadQueue.filter((r) => peer.allowedFastGiven.has(r.index));
    if (peer.fast) for (const r of peer.uploadQueue) if (!peer.allowedFastGiven.has(r.index)) peer.conn.send(encodeMessage({ type: "reject", ...r }));
    peer.uploadQueue.splice(0, peer.uploadQueue.length, ...kept);
  }

  unchoke(peer: PeerState): void {
    if (!peer.amChoking) return;
    peer.amChoking = false;
    peer.conn.send(encodeMessage({ type: "unchoke" }));
  }

  /**
   * Sends queued blocks while the socket takes everything and the rate limit allows. Blocks go out in
   * batches of up to UPLOAD_BATCH_BYTES copied into one frame buffer: one socket write instead of two per
   * block. Once the socket takes only part of a batch, the rest waits in the connection's queue and
   * serving resumes on `drain`: the kernel's send buffer is the only deep buffer, so a peer that reads
   * slowly costs no memory here beyond that one rest.
   */
  serve(peer: PeerState): void {
    const { cache, bucket } = this.#settings;
    const q = peer.uploadQueue;
    let served = 0;
    while (served < q.length && !peer.conn.closed && peer.conn.queuedBytes === 0) {
      let count = 0;
      let bytes = 0;
      while (served + count < q.length && bytes < UPLOAD_BATCH_BYTES) {
        const r = q[served + count]!;
        if (bucket && !bucket.tryTake(r.length, this.#settings.clock.now())) {
          this.#handler.wakeAfter(bucket.waitMs(r.length, this.#settings.clock.now()));
          break;
        }
        count++;
        bytes += PIECE_HEADER_LENGTH + r.length;
      }
      if (count === 0) break;
      if (this.#batch.length < bytes) {
        this.#batch = new Uint8Array(Math.max(bytes, UPLOAD_BATCH_BYTES + BLOCK_SIZE + PIECE_HEADER_LENGTH));
        this.#batchView = new DataView(this.#batch.buffer);
      }
      const out = this.#batch.subarray(0, bytes);
      const view = this.#batchView;
      let at = 0;
      for (let i = served; i < served + count; i++) {
        const r = q[i]!;
        writePieceHeader(view, at, r.index, r.begin, r.length);
        out.set(cache.block(r.index, r.begin, r.length), at + PIECE_HEADER_LENGTH);
        at += PIECE_HEADER_LENGTH + r.length;
        peer.conn.uploadedBytes += r.length;
        this.#handler.onUploaded(peer, r.length);
      }
      peer.conn.send(out, true);
      served += count;
    }
    if (served > 0) q.splice(0, served);
  }
}
