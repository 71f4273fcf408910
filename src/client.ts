// Client: the public library entry. Runs many torrents over one peer listener and their trackers.
// The CLI is built on it; scripts can embed it the same way.

import { RippleError, bytesEqual, generatePeerId, silentLogger, systemClock, type Logger, type PeerAddress } from "./util/index.ts";
import { selectFiles, type FileSelection, type Metainfo } from "./metainfo/index.ts";
import { DiskStorage, partsPath, resumePath } from "./storage/index.ts";
import { listenForPeers, type PeerListener } from "./peer/index.ts";
import { TokenBucket, Torrent } from "./swarm/index.ts";
import { UDP_ANNOUNCE_RETRY_BASE_MS, createTrackerAnnouncer, createUdpTrackerClient, type UdpTrackerClient } from "./tracker/index.ts";
import { VERSION } from "./version.ts";

export interface ClientOptions {
  /** TCP port for incoming peers; 0 picks a free one. Default 6881 (then 6882..6889 if taken). */
  port?: number;
  /** Address to listen on. Default all interfaces. */
  host?: string;
  /** Peer connections per torrent. Default 50. */
  maxPeers?: number;
  /** Upload slots per torrent (regular + optimistic). Default 8. */
  uploadSlots?: number;
  /** Bytes/s over all torrents; undefined = unlimited. */
  maxUploadRate?: number;
  maxDownloadRate?: number;
  log?: Logger;
}

export interface AddTorrentOptions {
  /** Directory the torrent's files go in: <outDir>/<name>. */
  outDir: string;
  /** Download only some files (`select`: 0-based indices; `exclude`: globs). Default every file. */
  files?: FileSelection;
  /** Keep a resume file, `<outDir>/<name>.ripple`, so a restart skips the recheck. Default true. */
  resume?: boolean;
  /** Write the selected files out to their full size at start (default: sparse, grown as pieces arrive). */
  preallocate?: boolean;
  /** Only seed: if the data is incomplete after the check, fail with a VERIFY error and announce nothing. */
  seedOnly?: boolean;
  /** Peers to connect to directly, besides those the trackers give. */
  peers?: readonly PeerAddress[];
  /** Do not contact the torrent's trackers. */
  noTrackers?: boolean;
}

export const DEFAULT_PORT = 6881;
const PORT_ATTEMPTS = 9;

export class Client {
  readonly peerId: Uint8Array;
  readonly #listener: PeerListener;
  readonly #torrents: Torrent[] = [];
  readonly #opts: ClientOptions;
  readonly #log: Logger;
  readonly #uploadBucket: TokenBucket | undefined;
  readonly #downloadBucket: TokenBucket | undefined;
  /** One UDP tracker client for all torrents: connection ids belong to our address, not a torrent. */
  #udp: UdpTrackerClient | undefined;

  constructor(opts: ClientOptions = {}) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    const now = systemClock.now();
    this.#uploadBucket = opts.maxUploadRate ? new TokenBucket(opts.maxUploadRate, now) : undefined;
    this.#downloadBucket = opts.maxDownloadRate ? new TokenBucket(opts.maxDownloadRate, now) : undefined;
    this.peerId = generatePeerId(VERSION);
    this.#listener = listenOnFirstFree(opts.host ?? "0.0.0.0", opts.port ?? DEFAULT_PORT, opts.port === undefined, (infoHash) =>
      this.#torrents.find((t) => bytesEqual(t.meta.infoHash, infoHash))?.acceptIncoming(),
    );
  }

  /** The TCP port peers can reach us on. */
  get port(): number {
    return this.#listener.port;
  }

  /** Adds a torrent and starts it (checking existing data first). It seeds once complete, until stopped. */
  addTorrent(meta: Metainfo, opts: AddTorrentOptions): Torrent {
    if (this.#torrents.some((t) => bytesEqual(t.meta.infoHash, meta.infoHash))) {
      throw new RippleError("DUPLICATE", `torrent ${meta.infoHashHex} is already added`);
    }
    const log = this.#log.withTag(meta.name);
    const selected = opts.files ? selectFiles(meta, opts.files) : undefined;
    const torrent = new Torrent({
      meta,
      storage: new DiskStorage(meta, opts.outDir, {
        ...(selected && { selected }),
        partsDir: partsPath(meta, opts.outDir),
        preallocate: opts.preallocate === true,
      }),
      ...(opts.resume !== false && { resumePath: resumePath(meta, opts.outDir) }),
      ...(selected && { selectedFiles: selected }),
      seedOnly: opts.seedOnly === true,
      listenPort: () => this.port,
      version: VERSION,
      peerId: this.peerId,
      maxPeers: this.#opts.maxPeers,
      uploadSlots: this.#opts.uploadSlots,
      uploadBucket: this.#uploadBucket,
      downloadBucket: this.#downloadBucket,
      log,
      createAnnouncer:
        opts.noTrackers || meta.announceTiers.length === 0
          ? undefined
          : (hooks) =>
              createTrackerAnnouncer({
                meta,
                peerId: this.peerId,
                port: this.port,
                hooks,
                log,
                udpClient: this.#udpClient(),
                onWarning: (message) => torrent.emit("warning", { message }),
              }),
    });
    this.#torrents.push(torrent);
    if (opts.peers) torrent.addPeers(opts.peers);
    void torrent.start();
    return torrent;
  }

  /** Stops every torrent (announcing `stopped`) and the listener. */
  async close(): Promise<void> {
    this.#listener.stop();
    await Promise.allSettled(this.#torrents.map((t) => t.stop()));
    this.#udp?.close();
  }

  #udpClient(): UdpTrackerClient {
    const host = this.#opts.host;
    this.#udp ??= createUdpTrackerClient({
      log: this.#log.withTag("udp-tracker"),
      retryBaseMs: UDP_ANNOUNCE_RETRY_BASE_MS,
      ...(host !== undefined && host !== "0.0.0.0" && { bindHost: host }),
    });
    return this.#udp;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function listenOnFirstFree(host: string, port: number, tryNext: boolean, route: Parameters<typeof listenForPeers>[2]): PeerListener {
  for (let i = 0; ; i++) {
    try {
      return listenForPeers(host, port + i, route);
    } catch (err) {
      if (!tryNext || port === 0 || i + 1 >= PORT_ATTEMPTS) throw err;
    }
  }
}
