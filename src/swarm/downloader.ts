// The download side of a torrent: interest, pipelined requests at an adaptive depth, blocks into piece
// buffers, SHA-1 verification, endgame cancels, smart-ban blame. Driven by peer events and the torrent's
// tick; it never touches sockets directly (PeerConnection.send) or the disk beyond Storage.writePiece.

import { LIMITS, WireError, bytesEqual, concatBytes, createSha1Pool, type Clock, type Logger } from "../util/index.ts";
import { BLOCK_SIZE, pieceHash, pieceLengthAt, pieceMatches, usesMerklePieces, type Metainfo } from "../metainfo/index.ts";
import type { Storage } from "../storage/index.ts";
import { Bitfield, REQUEST_FRAME_LENGTH, encodeHave, encodeMessage, writeRequest } from "../wire/index.ts";
import { Picker, blockKey, keyBlock, keyPiece } from "./picker.ts";
import type { PeerState } from "./peer-state.ts";
import type { PieceState } from "./piece-state.ts";
import { RateMeter } from "./rate.ts";
import { SmartBan, WEB_SEED_SOURCE_PREFIX } from "./smart-ban.ts";
import type { TokenBucket } from "./token-bucket.ts";

/** Blocks nobody asked for that a peer may send before it is dropped. */
const MAX_UNREQUESTED_BLOCKS = LIMITS.unrequestedBlocksPerPeer;
/** Chokes a peer may send in a short while (halved every tick) before it is dropped. */
const MAX_CHOKES = LIMITS.chokesPerPeer;
/** Requests sent together once a deep pipeline has this many free slots. */
const REFILL_BATCH = 16;

/** What a downloader is built with. */
export interface DownloaderSettings {
  readonly meta: Metainfo;
  /** The picker's tie-breaks and web seed run starts (default Math.random); tests pin it. */
  readonly random?: () => number;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly bucket: TokenBucket | undefined;
}

/** What a downloader asks of its torrent, and reports to it. */
export interface DownloaderHandler {
  /** Connected peers (handshaken). */
  peers(): Iterable<PeerState>;
  /** True while pieces are still wanted. */
  downloading(): boolean;
  /** A piece was verified and written. */
  onVerified(index: number, lengthBytes: number): void;
  /** A piece could not be written (disk full, permissions): fatal for the torrent. */
  onError(err: unknown): void;
  onHashFailed(index: number): void;
  ban(key: string, reason: string): void;
  /** Asks to be called back (fillAll) after `ms`, when the download rate limit allows more. */
  wakeAfter(ms: number): void;
  /** Sources other than peers (web seeds) take work too whenever the peers do. */
  fillOthers?(): void;
}

/** Bytes received between two garbage-collection hints (see Downloader.#hintGc). */
const GC_HINT_BYTES = 8 * 1024 * 1024;

export class Downloader {
  readonly picker: Picker;
  readonly down = new RateMeter();
  readonly #settings: DownloaderSettings;
  readonly #handler: DownloaderHandler;
  readonly #smartBan = new SmartBan();
  /** Pieces being hashed or written. */
  readonly #writes = new Set<Promise<void>>();
  /**
   * With 3+ cores, one worker hashes pieces while the event loop keeps reading sockets (piece buffers are
   * shared memory). With 2, the worker only competes with the loop for the cores: measured on loopback,
   * the same speed for ~0.1 s more CPU and ~10 MiB more RSS per 512 MiB, so pieces are hashed inline.
   */
  readonly #hasher = createSha1Pool(navigator.hardwareConcurrency > 2 ? 1 : 0);
  /** Piece bytes completed since the last GC hint (#hintGc). */
  #sinceGc = 0;
  /** The torrent is stopping: pieces already hashed are still written, so verified data is kept. */
  #flushing = false;

  constructor(settings: DownloaderSettings, handler: DownloaderHandler, maxInProgress: number, wanted?: Bitfield) {
    this.#settings = settings;
    this.#handler = handler;
    this.picker = new Picker({
      pieceCount: settings.meta.pieceCount,
      pieceLengthAt: (i) => pieceLengthAt(settings.meta, i),
      maxInProgress,
      ...(wanted && { wanted }),
      ...(settings.random && { random: settings.random }),
    });
  }

  /** The peer's whole piece set arrived (bitfield, have_all, have_none). */
  setBitfield(peer: PeerState, has: Bitfield): void {
    // What the peer announced before (have, an earlier bitfield) is replaced, so availability counts
    // each of its pieces once; pieces it announced with `have` stay (a peer never loses a piece).
    this.picker.removeAvailability(peer.has);
    for (const i of peer.has.indices()) has.set(i);
    peer.sawBitfield = true;
    peer.has = has;
    this.picker.addAvailability(has);
    const { have: mine, wanted } = this.picker;
    let lacking = 0;
    for (let i = 0; i < has.length; i++) if (has.has(i) && !mine.has(i) && wanted.has(i)) lacking++;
    peer.lacking = lacking;
    this.updateInterest(peer);
  }

  /** A `have`: one more piece the peer holds. */
  gainPiece(peer: PeerState, index: number): void {
    if (peer.has.has(index)) return;
    peer.has.set(index);
    this.picker.addHave(index);
    if (!this.picker.have.has(index) && this.picker.wanted.has(index)) {
      peer.lacking++;
      this.updateInterest(peer);
    }
  }

  updateInterest(peer: PeerState): void {
    const want = peer.lacking > 0 && this.#handler.downloading();
    if (want !== peer.amInterested) {
      peer.amInterested = want;
      peer.conn.send(encodeMessage({ type: want ? "interested" : "not_interested" }));
    }
    if (want) this.fill(peer);
  }

  onChoke(peer: PeerState): void {
    // drop: a peer flapping choke/unchoke far faster than any choker (every 10 s) makes us release and
    // re-send our requests each time; a few chokes are forgiven by halves every tick.
    if (++peer.chokesReceived > MAX_CHOKES) throw new WireError(`choke flood: ${peer.chokesReceived} chokes within seconds`);
    peer.peerChoking = true;
    // BEP 6: with the fast extension a choke does not drop our requests; the peer rejects each one it
    // will not serve, or serves it after all. Without it, the choke discards them all.
    if (peer.fast) return;
    this.releaseAll(peer);
    this.fillAll();
  }

  onUnchoke(peer: PeerState): void {
    peer.peerChoking = false;
    peer.lastProgressAt = this.#settings.clock.now();
    this.fill(peer);
  }

  onReject(peer: PeerState, index: number, begin: number): void {
    const key = blockKey(index, Math.floor(begin / BLOCK_SIZE));
    if (!peer.requests.delete(key)) return;
    this.picker.release(index, keyBlock(key));
    this.fillAll();
  }

  /** Tops up the peer's request queue to its adaptive depth (BEP 6: allowed-fast pieces while choked). */
  fill(peer: PeerState): void {
    if (!peer.amInterested || peer.conn.closed || !this.#handler.downloading()) return;
    let has = peer.has;
    if (peer.peerChoking) {
      if (peer.allowedFast.size === 0) return;
      has = new Bitfield(has.length);
      for (const i of peer.allowedFast) if (peer.has.has(i)) has.set(i);
    }
    let want = peer.depth - peer.requests.size;
    // Top up in batches, not one request per arriving block: fewer, larger socket writes.
    if (want < Math.min(REFILL_BATCH, Math.ceil(peer.depth / 4)) && peer.requests.size > 0) return;
    const bucket = this.#settings.bucket;
    if (bucket && want > 0) {
      const now = this.#settings.clock.now();
      want = Math.min(want, Math.floor(bucket.available(now) / BLOCK_SIZE));
      if (want <= 0) this.#handler.wakeAfter(bucket.waitMs(BLOCK_SIZE, now));
    }
    if (want <= 0) return;
    const blocks = this.picker.pick(has, want, this.#settings.clock.now(), (key) => peer.requests.has(key));
    if (blocks.length === 0) return;
    if (peer.requests.size === 0) peer.lastProgressAt = this.#settings.clock.now();
    const out = new Uint8Array(REQUEST_FRAME_LENGTH * blocks.length);
    const view = new DataView(out.buffer);
    let bytes = 0;
    blocks.forEach((b, i) => {
      writeRequest(view, i * REQUEST_FRAME_LENGTH, b.index, b.begin, b.length);
      peer.requests.add(blockKey(b.index, b.begin / BLOCK_SIZE));
      bytes += b.length;
    });
    bucket?.take(bytes, this.#settings.clock.now());
    peer.conn.send(out);
  }

  fillAll(): void {
    for (const peer of this.#handler.peers()) this.fill(peer);
    this.#handler.fillOthers?.();
  }

  /** Every block requested from the peer goes back to the pool (choke, snub, disconnect). */
  releaseAll(peer: PeerState): void {
    for (const key of peer.requests) this.picker.release(keyPiece(key), keyBlock(key));
    peer.requests.clear();
  }

  /** Gives up on a peer's outstanding requests and tells it so (a snubbing peer that is still connected). */
  cancelAll(peer: PeerState): void {
    const out: Uint8Array[] = [];
    for (const key of peer.requests) {
      const index = keyPiece(key);
      const block = keyBlock(key);
      const length = this.picker.inProgress.get(index)?.blockLength(block);
      if (length !== undefined) out.push(encodeMessage({ type: "cancel", index, begin: block * BLOCK_SIZE, length }));
    }
    if (out.length > 0) peer.conn.send(concatBytes(out));
    this.releaseAll(peer);
  }

  onBlock(peer: PeerState, index: number, begin: number, data: Uint8Array): void {
    const block = begin / BLOCK_SIZE;
    const key = blockKey(index, block);
    const piece = Number.isInteger(block) ? this.picker.inProgress.get(index) : undefined;
    const requested = peer.requests.has(key);
    // Not (or no longer) requested from this peer: a block still missing is taken anyway (it was
    // released after a snub or a choke and arrived late); one nobody needs only counts against the peer.
    // Endgame cancels race with blocks already on the wire, so a few strays are normal.
    if (!piece || block >= piece.blocks || (!requested && piece.received[block])) {
      // ignore a few (endgame strays); drop: more than MAX_UNREQUESTED_BLOCKS, halved every tick.
      if (++peer.unrequestedBlocks > MAX_UNREQUESTED_BLOCKS) {
        throw new WireError(`too many unrequested blocks (${peer.unrequestedBlocks})`);
      }
      return;
    }
    // drop: a block of the wrong size (the buffer is never written past the block).
    if (data.length !== piece.blockLength(block)) {
      throw new WireError(`block ${index}:${begin} has wrong length: ${data.length} != ${piece.blockLength(block)}`);
    }
    if (requested) peer.requests.delete(key);
    peer.conn.downloadedBytes += data.length;
    peer.down.add(data.length);
    this.down.add(data.length);
    peer.lastProgressAt = this.#settings.clock.now();
    peer.snubbed = false;
    if (requested && piece.requested[block]! > 0) piece.requested[block]!--;
    if (piece.store(block, data, peer.key)) {
      if (this.picker.endgame) this.#cancelDuplicates(peer, index, begin, key, data.length);
      if (piece.complete) {
        this.#completePiece(piece);
        this.#hintGc(piece.buffer.length);
      }
    }
    this.fill(peer);
  }

  /**
   * A source that is not a peer (a web seed) wrote block `block` of `piece` into its buffer itself:
   * the block counts as received, endgame duplicates asked of peers are cancelled, and a complete piece
   * is verified and written like any other. The bytes were counted in `down` as they arrived.
   */
  receivedInPlace(piece: PieceState, block: number, source: string): void {
    if (this.picker.inProgress.get(piece.index) !== piece || !piece.markReceived(block, source)) return;
    if (piece.requested[block]! > 0) piece.requested[block]!--;
    if (this.picker.endgame) this.#cancelDuplicates(undefined, piece.index, block * BLOCK_SIZE, blockKey(piece.index, block), piece.blockLength(block));
    if (piece.complete) {
      this.#completePiece(piece);
      this.#hintGc(piece.buffer.length);
    }
  }

  #cancelDuplicates(from: PeerState | undefined, index: number, begin: number, key: number, length: number): void {
    for (const other of this.#handler.peers()) {
      if (other === from || !other.requests.delete(key)) continue;
      other.conn.send(encodeMessage({ type: "cancel", index, begin, length }));
    }
  }

  /**
   * Every block of a piece is in: hash it (see #hasher), then write it (or fetch it again). The
   * piece stays in progress meanwhile (nothing left to request), and both steps are tracked by flush().
   */
  #completePiece(piece: PieceState): void {
    const { index, buffer } = piece;
    const { meta } = this.#settings;
    // BEP 52 v2-only: SHA-256 merkle hashes of the piece's blocks, on the event loop (no SHA-1 worker to use).
    const matches = usesMerklePieces(meta)
      ? Promise.resolve(pieceMatches(meta, index, buffer))
      : this.#hasher.hashRuns(buffer, buffer.length).then((digest) => bytesEqual(digest, pieceHash(meta, index)));
    const done = matches.then(
      (good) => this.#verified(piece, good),
      (err: unknown) => this.#handler.onError(err),
    );
    this.#writes.add(done);
    void done.finally(() => this.#writes.delete(done));
  }

  /**
   * Socket chunks are garbage once their blocks are copied into piece buffers, but JSC counts their
   * bytes late and lets tens of MiB of them pile up; a collection hint every GC_HINT_BYTES of pieces keeps
   * peak RSS ~13 MiB lower at no measurable cost (Bun.gc(false) does not block).
   */
  #hintGc(bytes: number): void {
    this.#sinceGc += bytes;
    if (this.#sinceGc < GC_HINT_BYTES) return;
    this.#sinceGc = 0;
    Bun.gc(false);
  }

  async #verified(piece: PieceState, good: boolean): Promise<void> {
    const { index, buffer } = piece;
    if (!this.#handler.downloading() && !this.#flushing) return; // stopped meanwhile: nothing more to do
    if (!good) {
      // ban: at once, a peer that alone sent two pieces that failed; else blame waits for the good copy (below).
      this.#handler.onHashFailed(index);
      for (const key of this.#smartBan.onFailed(piece)) {
        this.#handler.ban(key, key.startsWith(WEB_SEED_SOURCE_PREFIX) ? `sent piece ${index}, which failed its hash check` : "sent corrupt data repeatedly");
      }
      this.picker.markFailed(index);
      this.fillAll();
      return;
    }
    // ban (smart ban): peers whose blocks of an earlier failed copy differ from the verified data.
    for (const key of this.#smartBan.onVerified(index, buffer)) this.#handler.ban(key, "sent corrupt data");
    // Only once it is on disk is the piece announced with `have` and served, and its buffer reused.
    try {
      await this.#settings.storage.writePiece(index, buffer);
    } catch (err) {
      this.#handler.onError(err);
      return;
    }
    this.#onWritten(index, buffer.length);
  }

  /** Resolves once every piece hashed or written so far has settled; the hash worker then stops. */
  async flush(): Promise<void> {
    this.#flushing = true;
    await Promise.allSettled([...this.#writes]);
    this.#hasher.close();
  }

  #onWritten(index: number, lengthBytes: number): void {
    this.picker.markVerified(index);
    const have = encodeHave(index);
    for (const peer of this.#handler.peers()) {
      // Also to a peer that has the piece but wants nothing from us, as a BEP 16 super-seeder does: it
      // learns from it that the piece it offered arrived, and offers the next. Interested peers that have
      // it are spared (in a fleet those haves were a fifth of the packets), and so are peers that showed
      // every piece: a plain seeder learns nothing from them (a super-seeder never shows every piece).
      if (!peer.has.has(index) || (!peer.peerInterested && !peer.has.isFull())) peer.conn.send(have);
      if (peer.has.has(index)) {
        peer.lacking--;
        if (peer.lacking === 0) this.updateInterest(peer);
      }
    }
    this.#handler.onVerified(index, lengthBytes);
  }
}
