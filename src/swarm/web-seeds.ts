// BEP 19 web seeds as one more source for the picker: each HTTP origin holds every piece and fetches runs
// of whole pieces (those no peer has first, rarest-first otherwise) with a few Range requests in flight;
// bytes land in the pieces' buffers and are verified and written by the Downloader like a peer's.

import { BLOCK_SIZE, pieceSpans, type Metainfo } from "../metainfo/index.ts";
import { WebSeedError, type Clock, type Logger } from "../util/index.ts";
import { Bitfield } from "../wire/index.ts";
import { backoffDelayMs, fetchRange, webSeedFileUrl, webSeedRanges, type RangeRequest } from "../webseed/index.ts";
import type { Downloader } from "./downloader.ts";
import type { PieceState } from "./piece-state.ts";
import { WEB_SEED_SOURCE_PREFIX } from "./smart-ban.ts";
import type { TokenBucket } from "./token-bucket.ts";

/** Requests in flight per server: enough that one is always being answered while the next is sent. */
export const WEB_SEED_REQUESTS_IN_FLIGHT = 3;
/** Bytes asked for in one run of pieces (at least one piece): few requests, and memory stays in budget. */
export const WEB_SEED_RUN_BYTES = 4 * 1024 * 1024;

/** What the `webseed` event reports. */
export interface WebSeedEvent {
  url: string;
  /** `failed`: one file is not on the server (404/410): its pieces come from peers. */
  action: "started" | "failed" | "banned" | "backoff";
  reason?: string;
  /** Bytes received from this server so far. */
  bytes: number;
  /** `backoff`: how long the server is left alone. */
  retryInMs?: number;
}

/** What the web seeds are built with. */
export interface WebSeedsSettings {
  readonly meta: Metainfo;
  readonly downloader: Downloader;
  readonly clock: Clock;
  readonly log: Logger;
  readonly bucket: TokenBucket | undefined;
  /** The HTTP shell; tests may pass another. */
  readonly fetchRange?: (req: RangeRequest) => Promise<void>;
}

/** What the web seeds ask of their torrent, and report to it. */
export interface WebSeedsHandler {
  /** True while pieces are still wanted. */
  downloading(): boolean;
  /** Asks for a fillAll after `ms` (a backoff ending, the rate limit refilling). */
  wakeAfter(ms: number): void;
  emit(event: WebSeedEvent): void;
  warn(message: string): void;
}

/** One run of torrent bytes being fetched: whole pieces, or (endgame) the missing tail of one. */
interface Job {
  readonly pieces: readonly PieceState[];
  /** Torrent byte offset of the first byte, and the length. */
  readonly start: number;
  readonly lengthBytes: number;
}

class Server {
  readonly key: string;
  readonly has: Bitfield;
  readonly abort = new AbortController();
  inFlight = 0;
  failures = 0;
  retryAt = -Infinity;
  banned = false;
  started = false;
  warnedNoRange = false;
  bytes = 0;
  /** Files it answered 404/410 for. */
  readonly missingFiles = new Set<number>();
  /** Pieces this server is fetching (endgame: never the same piece twice). */
  readonly fetching = new Set<number>();

  constructor(
    readonly url: string,
    pieceCount: number,
  ) {
    this.key = WEB_SEED_SOURCE_PREFIX + url;
    this.has = Bitfield.full(pieceCount);
  }
}

export class WebSeeds {
  readonly #settings: WebSeedsSettings;
  readonly #handler: WebSeedsHandler;
  readonly #servers: Server[];
  readonly #fetch: (req: RangeRequest) => Promise<void>;

  constructor(settings: WebSeedsSettings, handler: WebSeedsHandler, urls: readonly string[]) {
    this.#settings = settings;
    this.#handler = handler;
    this.#servers = [...new Set(urls)].map((url) => new Server(url, settings.meta.pieceCount));
    this.#fetch = settings.fetchRange ?? fetchRange;
  }

  get size(): number {
    return this.#servers.length;
  }

  /** Gives every usable server work up to its requests in flight (called with the peers' fillAll). */
  fill(): void {
    if (this.#servers.length === 0 || !this.#handler.downloading()) return;
    const now = this.#settings.clock.now();
    for (const server of this.#servers) {
      if (server.banned) continue;
      if (now < server.retryAt) {
        this.#handler.wakeAfter(server.retryAt - now);
        continue;
      }
      while (server.inFlight < WEB_SEED_REQUESTS_IN_FLIGHT) {
        const job = this.#claim(server, now);
        if (!job) break;
        server.inFlight++;
        for (const p of job.pieces) server.fetching.add(p.index);
        void this.#run(server, job);
      }
    }
  }

  /** Bans the web seed with this source key; false when the key is not a web seed's (it is a peer's). */
  ban(key: string, reason: string): boolean {
    const server = this.#servers.find((s) => s.key === key);
    if (!server) return false;
    if (server.banned) return true;
    server.banned = true;
    server.abort.abort(new WebSeedError("status", `banned: ${reason}`));
    this.#settings.log.debug(`banned web seed ${server.url}: ${reason}`);
    this.#handler.emit({ url: server.url, action: "banned", reason, bytes: server.bytes });
    return true;
  }

  /** Aborts every request (the torrent stops). */
  stop(): void {
    for (const server of this.#servers) server.abort.abort(new WebSeedError("network", "the torrent stopped"));
  }

  /** The next job for a server: a run of free pieces, or in endgame the missing blocks of a started piece. */
  #claim(server: Server, now: number): Job | undefined {
    const { picker } = this.#settings.downloader;
    const { meta, bucket } = this.#settings;
    if (bucket && bucket.available(now) < Math.min(meta.pieceLength, bucket.burstBytes)) {
      this.#handler.wakeAfter(bucket.waitMs(Math.min(meta.pieceLength, bucket.burstBytes), now));
      return undefined;
    }
    const maxBytes = bucket ? Math.min(WEB_SEED_RUN_BYTES, bucket.burstBytes) : WEB_SEED_RUN_BYTES;
    let job: Job | undefined;
    const run = picker.startRun(server.has, Math.max(1, Math.floor(maxBytes / meta.pieceLength)));
    if (run.length > 0) {
      const last = run[run.length - 1]!;
      const start = run[0]!.index * meta.pieceLength;
      job = { pieces: run, start, lengthBytes: last.index * meta.pieceLength + last.lengthBytes - start };
    } else if (picker.endgame) {
      job = this.#endgameJob(server);
    }
    if (job) bucket?.take(job.lengthBytes, now);
    return job;
  }

  /** Endgame: the blocks from the first to the last missing one of a piece this server is not fetching. */
  #endgameJob(server: Server): Job | undefined {
    const { meta } = this.#settings;
    for (const piece of this.#settings.downloader.picker.inProgress.values()) {
      if (server.fetching.has(piece.index) || !server.has.has(piece.index) || piece.complete) continue;
      const first = piece.received.indexOf(0);
      const last = piece.received.lastIndexOf(0);
      for (let b = first; b <= last; b++) if (!piece.received[b]) piece.requested[b]!++;
      const start = piece.index * meta.pieceLength + first * BLOCK_SIZE;
      const end = piece.index * meta.pieceLength + last * BLOCK_SIZE + piece.blockLength(last);
      return { pieces: [piece], start, lengthBytes: end - start };
    }
    return undefined;
  }

  async #run(server: Server, job: Job): Promise<void> {
    const { meta, downloader } = this.#settings;
    const byIndex = new Map(job.pieces.map((p) => [p.index, p]));
    /** Run bytes written so far; every block ending at or before it is in. */
    let done = 0;
    const write = (bytes: Uint8Array) => {
      // Stop fetching once the torrent has what it needs (done, stopped): the abort ends the request.
      if (!this.#handler.downloading() || server.banned) throw new WebSeedError("network", "no longer needed");
      let pos = job.start + done;
      const end = pos + bytes.length;
      while (pos < end) {
        const index = Math.floor(pos / meta.pieceLength);
        const piece = byIndex.get(index)!;
        const inPiece = pos - index * meta.pieceLength;
        const block = Math.floor(inPiece / BLOCK_SIZE);
        const blockEnd = index * meta.pieceLength + Math.min(piece.lengthBytes, (block + 1) * BLOCK_SIZE);
        const segEnd = Math.min(end, blockEnd);
        // Never into a piece that is no longer this one in progress (verified, its buffer recycled), nor
        // over a block a peer delivered meanwhile (endgame).
        const live = downloader.picker.inProgress.get(index) === piece && !piece.received[block];
        if (live) piece.buffer.set(bytes.subarray(pos - (job.start + done), segEnd - (job.start + done)), inPiece);
        pos = segEnd;
        if (live && segEnd === blockEnd) downloader.receivedInPlace(piece, block, server.key);
      }
      done += bytes.length;
      server.bytes += bytes.length;
      downloader.down.add(bytes.length);
    };
    /** The file being fetched, to know which one a 404 is about. */
    let fileIndex = -1;
    try {
      for (const range of webSeedRanges(meta.files, job.start, job.lengthBytes)) {
        fileIndex = range.fileIndex;
        if (range.pad) {
          write(new Uint8Array(range.lengthBytes)); // BEP 47: pad bytes are zeros, on no server
          continue;
        }
        const file = meta.files[range.fileIndex]!;
        const url = webSeedFileUrl(server.url, meta, file.path);
        await this.#fetch({
          url,
          fileOffset: range.fileOffset,
          lengthBytes: range.lengthBytes,
          signal: server.abort.signal,
          timers: this.#settings.clock,
          onData: (_offset, bytes) => {
            if (!server.started) {
              server.started = true;
              this.#settings.log.info(`web seed ${server.url} is serving`);
              this.#handler.emit({ url: server.url, action: "started", bytes: server.bytes });
            }
            write(bytes);
          },
        });
      }
      server.failures = 0;
    } catch (err) {
      this.#failed(server, fileIndex, err);
    } finally {
      this.#release(job, done);
      for (const p of job.pieces) server.fetching.delete(p.index);
      server.inFlight--;
      if (this.#handler.downloading()) downloader.fillAll();
    }
  }

  /** Blocks of the job not received by the end of the request go back to the picker for others. */
  #release(job: Job, doneBytes: number): void {
    const { meta, downloader } = this.#settings;
    if (doneBytes >= job.lengthBytes) return;
    for (const piece of job.pieces) {
      if (downloader.picker.inProgress.get(piece.index) !== piece) continue;
      const base = piece.index * meta.pieceLength;
      const from = Math.max(0, Math.floor((job.start - base) / BLOCK_SIZE));
      const to = Math.min(piece.blocks, Math.ceil((job.start + job.lengthBytes - base) / BLOCK_SIZE));
      for (let b = from; b < to; b++) if (!piece.received[b] && piece.requested[b]! > 0) downloader.picker.release(piece.index, b);
    }
  }

  #failed(server: Server, fileIndex: number, err: unknown): void {
    if (server.banned || !this.#handler.downloading()) return; // aborted on purpose
    if (!(err instanceof WebSeedError)) {
      if (server.abort.signal.aborted) return; // stopped with the torrent
      throw err;
    }
    const reason = err.message;
    if (err.kind === "missing") {
      // That file is not on this server: its pieces are left to peers (and other web seeds).
      if (server.missingFiles.has(fileIndex)) return; // another request in flight said so already
      server.missingFiles.add(fileIndex);
      this.#dropFile(server, fileIndex);
      this.#settings.log.debug(`web seed ${server.url}: ${reason}`);
      this.#handler.emit({ url: server.url, action: "failed", reason, bytes: server.bytes });
      return;
    }
    if (err.kind === "no-range" && !server.warnedNoRange) {
      server.warnedNoRange = true;
      this.#handler.warn(`web seed ${server.url} does not support Range requests (HTTP 200 instead of 206); pieces come from peers`);
    }
    const now = this.#settings.clock.now();
    // Requests already in flight when the server started failing do not deepen the backoff.
    if (now >= server.retryAt) {
      server.failures++;
      const retryInMs = backoffDelayMs(server.failures);
      server.retryAt = now + retryInMs;
      this.#settings.log.debug(`web seed ${server.url}: ${reason}; retrying in ${retryInMs / 1000} s`);
      this.#handler.emit({ url: server.url, action: "backoff", reason, bytes: server.bytes, retryInMs });
      this.#handler.wakeAfter(retryInMs);
    }
  }

  /** Clears from the server's pieces every piece that touches file `fileIndex`. */
  #dropFile(server: Server, fileIndex: number): void {
    const { meta } = this.#settings;
    const file = meta.files[fileIndex]!;
    const first = Math.floor(file.offsetBytes / meta.pieceLength);
    const last = Math.floor((file.offsetBytes + Math.max(0, file.lengthBytes - 1)) / meta.pieceLength);
    for (let i = first; i <= last && i < meta.pieceCount; i++) {
      if (pieceSpans(meta, i).some((s) => s.fileIndex === fileIndex)) server.has.clear(i);
    }
  }
}
