// Client: the public library entry. Runs many torrents over one peer listener and their trackers.
// The CLI is built on it; scripts can embed it the same way.

import { RippleError, bytesEqual, errorMessage, generatePeerId, silentLogger, systemClock, type Announcer, type AnnouncerHooks, type Clock, type Logger, type PeerAddress } from "./util/index.ts";
import { magnetMetainfo, selectFiles, type FileSelection, type Magnet, type Metainfo } from "./metainfo/index.ts";
import { DiskStorage } from "./storage/index.ts";
import {
  DialTransports,
  UtpTransport,
  chooseDialer,
  createAcceptor,
  globalIpv6Address,
  listenDualStack,
  listenForPeers,
  type Dialer,
  type EncryptionPolicy,
  type PeerListener,
  type Transport,
  type UtpMode,
} from "./peer/index.ts";
import { UtpSocket } from "./utp/index.ts";
import { DialEncryption, MetadataFetcher, TokenBucket, Torrent, combineAnnouncers, deferredAnnouncer, type DialOptions } from "./swarm/index.ts";
import { createDhtAnnouncer, startDhtNode, type DhtNode } from "./dht/index.ts";
import { UDP_ANNOUNCE_RETRY_BASE_MS, createTrackerAnnouncer, createUdpTrackerClient, type UdpTrackerClient } from "./tracker/index.ts";
import { isUsableWebSeed } from "./webseed/index.ts";
import { VERSION } from "./version.ts";

export interface ClientOptions {
  /** TCP port for incoming peers; 0 picks a free one. Default 6881 (then 6882..6889 if taken). */
  port?: number;
  /** Address to listen on. Default all interfaces, IPv6 and IPv4 ("[::]", dual stack). */
  host?: string;
  /**
   * MSE/PE (default "prefer"): "prefer" dials encrypted and falls back to plaintext per peer; "require"
   * uses RC4 only, both ways, and refuses plaintext peers; "plain" dials plaintext (and still answers MSE).
   */
  encryption?: EncryptionPolicy;
  /**
   * BEP 7: our IPv6 address to tell HTTP trackers (`ipv6=`). Default: the first global unicast IPv6
   * address of this machine when we listen on IPv6; none when there is none (nothing is probed).
   */
  announceIpv6?: string;
  /**
   * The mainline DHT (BEP 5): a UDP node on `port` that finds peers for every public torrent and magnet.
   * Off unless given. `bootstrap` is where a node with no saved routing table starts (DEFAULT_DHT_BOOTSTRAP
   * lists the public routers); `statePath` keeps the routing table between runs.
   */
  dht?: { port: number; host?: string; bootstrap: readonly PeerAddress[]; statePath?: string };
  /**
   * uTP (BEP 29) on a UDP socket with the TCP port's number: incoming uTP is accepted unless "off"; dials
   * go "auto" (default: TCP first to loopback and private addresses, uTP first to others, each falling
   * back to the other), "prefer" (uTP first everywhere), "only" (uTP alone) or "off" (TCP alone).
   */
  utp?: UtpMode;
  /** Peer connections per torrent. Default 50. */
  maxPeers?: number;
  /** Upload slots per torrent (regular + optimistic). Default 8. */
  uploadSlots?: number;
  /** How long one tracker announce may take (default 15 s). */
  trackerTimeoutMs?: number;
  /** How long a peer has to complete its handshake, incoming or dialed (default 20 s). */
  handshakeTimeoutMs?: number;
  /** Bytes/s over all torrents; undefined = unlimited. */
  maxUploadRate?: number;
  maxDownloadRate?: number;
  log?: Logger;
  /**
   * Every timer and time read of the client's torrents, magnets, peers, trackers, DHT node and uTP socket.
   * Default the system clock; tests pass a fake one.
   */
  clock?: Clock;
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
  /** With seedOnly: BEP 16 super-seeding, for an origin whose peers should spread the data among themselves. */
  superSeed?: boolean;
  /** Peers to connect to directly, besides those the trackers give. */
  peers?: readonly PeerAddress[];
  /** Do not contact the torrent's trackers. */
  noTrackers?: boolean;
  /** Do not download from the torrent's BEP 19 web seeds (url-list, a magnet's ws). */
  noWebSeeds?: boolean;
}

export const DEFAULT_PORT = 6881;
const PORT_ATTEMPTS = 9;

export class Client {
  readonly peerId: Uint8Array;
  readonly #listener: PeerListener;
  readonly #torrents: Torrent[] = [];
  /** Magnets whose metadata is being fetched. */
  readonly #fetchers: MetadataFetcher[] = [];
  readonly #opts: ClientOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #uploadBucket: TokenBucket | undefined;
  readonly #downloadBucket: TokenBucket | undefined;
  readonly #closed = Promise.withResolvers<void>();
  /** How peers are dialed (handshake deadline, encryption and its per-address memory), shared by all torrents. */
  readonly #dial: DialOptions;
  readonly #announceIpv6: string | undefined;
  #dht: Promise<DhtNode> | undefined;
  /** The uTP socket once bound (undefined with utp "off", or when its port could not be bound). */
  readonly #utp: Promise<UtpSocket | undefined>;
  /** One UDP tracker client for all torrents: connection ids belong to our address, not a torrent. */
  #udp: UdpTrackerClient | undefined;

  constructor(opts: ClientOptions = {}) {
    this.#opts = opts;
    this.#log = opts.log ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
    const now = this.#clock.now();
    this.#uploadBucket = opts.maxUploadRate ? new TokenBucket(opts.maxUploadRate, now) : undefined;
    this.#downloadBucket = opts.maxDownloadRate ? new TokenBucket(opts.maxDownloadRate, now) : undefined;
    this.peerId = generatePeerId(VERSION);
    const encryption = opts.encryption ?? "prefer";
    const timeout = opts.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: opts.handshakeTimeoutMs } : {};
    const route = (infoHash: Uint8Array) => {
      const byV1 = this.#torrents.find((t) => bytesEqual(t.meta.infoHash, infoHash))?.acceptIncoming();
      if (byV1) return byV1;
      // BEP 52: a hybrid torrent's v2 swarm names it by its SHA-256 truncated to 20 bytes; answer in kind.
      const byV2 = this.#torrents.find((t) => t.meta.v2?.hybrid && bytesEqual(t.meta.v2.infoHash.subarray(0, 20), infoHash))?.acceptIncoming();
      if (byV2) return { ...byV2, identity: { ...byV2.identity, infoHash } };
      return this.#fetchers.find((f) => bytesEqual(f.infoHash, infoHash))?.acceptIncoming();
    };
    const infoHashes = () => [
      ...this.#torrents.flatMap((t) => (t.meta.v2?.hybrid ? [t.meta.infoHash, t.meta.v2.infoHash.subarray(0, 20)] : [t.meta.infoHash])),
      ...this.#fetchers.map((f) => f.infoHash),
    ];
    const acceptOpts = { ...timeout, infoHashes, encryption, clock: this.#clock };
    const accept = createAcceptor(route, acceptOpts);
    this.#listener = listenOnFirstFree(opts.host, opts.port ?? DEFAULT_PORT, opts.port === undefined, route, acceptOpts, accept);
    const utpMode = opts.utp ?? "auto";
    this.#utp = utpMode === "off" ? Promise.resolve(undefined) : this.#bindUtp(accept);
    let dialer: Dialer | undefined;
    const transports = new DialTransports();
    void this.#utp.then((socket) => (dialer = chooseDialer(utpMode, socket, transports, this.#clock)));
    // Until the UDP socket is bound (a moment after start), dials wait for it.
    const dial: Dialer = (address, handler) => (dialer ? dialer(address, handler) : void this.#utp.then(() => dialer!(address, handler)));
    this.#dial = { ...timeout, encryption: new DialEncryption(encryption), dialer: dial, transports };
    // BEP 7: the IPv6 address we listen on, or a global one of this machine when we listen on all of IPv6.
    const host = opts.host;
    this.#announceIpv6 = opts.announceIpv6 ?? (host === undefined || host === "::" ? globalIpv6Address() : host.includes(":") ? host : undefined);
  }

  /** Binds the uTP socket on the listener's port number; a port taken over UDP leaves uTP off, with a warning. */
  async #bindUtp(accept: (transport: Transport) => boolean): Promise<UtpSocket | undefined> {
    try {
      return await UtpSocket.bind({
        host: this.#opts.host,
        port: this.#listener.port,
        log: this.#log.withTag("utp"),
        clock: this.#clock,
        onIncoming: (stream) => accept(new UtpTransport(stream)),
      });
    } catch (err) {
      this.#log.warn(`uTP is off: ${errorMessage(err)}`);
      return undefined;
    }
  }

  /** The uTP socket, once bound (undefined when uTP is off). */
  utpSocket(): Promise<UtpSocket | undefined> {
    return this.#utp;
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
    // The output directory is resolved once, by the storage's layout: the files, the parts store, the resume file.
    const storage = new DiskStorage(meta, opts.outDir, { ...(selected && { selected }), parts: true, preallocate: opts.preallocate === true });
    const torrent = new Torrent({
      meta,
      storage,
      ...(opts.resume !== false && { resumePath: storage.layout.resume }),
      ...(selected && { selectedFiles: selected }),
      seedOnly: opts.seedOnly === true,
      superSeed: opts.superSeed === true,
      webSeeds: opts.noWebSeeds ? [] : meta.urlList.filter(isUsableWebSeed),
      listenPort: () => this.port,
      version: VERSION,
      peerId: this.peerId,
      dial: this.#dial,
      maxPeers: this.#opts.maxPeers,
      uploadSlots: this.#opts.uploadSlots,
      uploadBucket: this.#uploadBucket,
      downloadBucket: this.#downloadBucket,
      log,
      clock: this.#clock,
      createAnnouncer: (hooks) =>
        combineAnnouncers(
          // BEP 52: a hybrid torrent is in two swarms; the v2 one is found under its truncated SHA-256.
          [meta.infoHash, ...(meta.v2?.hybrid ? [meta.v2.infoHash.slice(0, 20)] : [])].map((infoHash) =>
            this.#announcersFor(infoHash, opts.noTrackers ? [] : meta.announceTiers, meta.private, hooks, log, (message) =>
              torrent.emit("warning", { message }),
            ),
          ),
        ),
    });
    this.#torrents.push(torrent);
    if (opts.peers) torrent.addPeers(opts.peers);
    void torrent.start();
    return torrent;
  }

  /**
   * Adds a magnet link: fetches the info dictionary from peers (BEP 9; from the magnet's `x.pe` peers,
   * its trackers and `opts.peers`), then adds the torrent as addTorrent does. `fetcher` reports the
   * metadata phase; `torrent` resolves once it is over (it rejects if the client closes first).
   */
  addMagnet(magnet: Magnet, opts: AddTorrentOptions): { fetcher: MetadataFetcher; torrent: Promise<Torrent> } {
    const log = this.#log.withTag(magnet.name ?? magnet.infoHashHex.slice(0, 8));
    const trackers = opts.noTrackers ? [] : magnet.trackers;
    const tiers = trackers.map((url) => [url]);
    const fetcher = new MetadataFetcher({
      infoHash: magnet.infoHash,
      peerId: this.peerId,
      version: VERSION,
      ...(this.#opts.maxPeers !== undefined && { maxPeers: this.#opts.maxPeers }),
      dial: this.#dial,
      log,
      clock: this.#clock,
      // A magnet does not say whether its torrent is private: the DHT is asked until the metadata tells.
      createAnnouncer: (hooks: AnnouncerHooks) =>
        this.#announcersFor(magnet.infoHash, tiers, false, hooks, log, (message) => fetcher.emit("warning", { message })),
    });
    this.#fetchers.push(fetcher);
    fetcher.addPeers([...magnet.peers, ...(opts.peers ?? [])]);
    fetcher.start();
    const torrent = (async () => {
      const { infoBytes, peers, pieceLayers } = await Promise.race([fetcher.once("done"), this.#closed.promise.then(() => Promise.reject(new RippleError("STOPPED", "the client closed before the metadata arrived")))]);
      await fetcher.stop();
      const at = this.#fetchers.indexOf(fetcher);
      if (at < 0) throw new RippleError("STOPPED", "the magnet was cancelled");
      this.#fetchers.splice(at, 1);
      const { meta, select } = magnetMetainfo(opts.noTrackers ? { ...magnet, trackers: [] } : magnet, infoBytes, pieceLayers);
      const files = opts.files ?? (select ? { select } : undefined);
      return this.addTorrent(meta, { ...opts, ...(files && { files }), peers: [...peers, ...magnet.peers, ...(opts.peers ?? [])] });
    })();
    torrent.catch(() => {
      // The caller awaits it; this only keeps an unobserved rejection from crashing a script.
    });
    return { fetcher, torrent };
  }

  /** Stops a torrent (announcing `stopped`, saving its resume file) and forgets it; it may be added again. */
  async removeTorrent(torrent: Torrent): Promise<void> {
    const i = this.#torrents.indexOf(torrent);
    if (i >= 0) this.#torrents.splice(i, 1);
    await torrent.stop();
  }

  /** Gives up a magnet's metadata phase started by addMagnet; its `torrent` promise then never settles. */
  async cancelMagnet(fetcher: MetadataFetcher): Promise<void> {
    const i = this.#fetchers.indexOf(fetcher);
    if (i >= 0) this.#fetchers.splice(i, 1);
    await fetcher.stop();
  }

  /** Stops every torrent (announcing `stopped`) and the listener. */
  async close(): Promise<void> {
    this.#closed.resolve();
    this.#listener.stop();
    await Promise.allSettled([...this.#torrents.map((t) => t.stop()), ...this.#fetchers.map((f) => f.stop())]);
    // After the announcers stopped: the node saves its routing table for the next run.
    if (this.#dht) await this.#dht.then((node) => node.stop()).catch(() => undefined);
    this.#udp?.close();
    (await this.#utp)?.close();
  }

  /** The trackers' announcer and, unless private (BEP 27) or off, the DHT's, behind one Announcer. */
  #announcersFor(
    infoHash: Uint8Array,
    tiers: readonly (readonly string[])[],
    isPrivate: boolean,
    hooks: AnnouncerHooks,
    log: Logger,
    onWarning: (message: string) => void,
  ): Announcer | undefined {
    const trackers =
      tiers.length === 0
        ? undefined
        : createTrackerAnnouncer({
            meta: { infoHash, announceTiers: tiers },
            peerId: this.peerId,
            port: this.port,
            ...(this.#announceIpv6 !== undefined && { ipv6: this.#announceIpv6 }),
            hooks,
            log,
            udpClient: this.#udpClient(),
            clock: this.#clock,
            onWarning,
            ...(this.#opts.trackerTimeoutMs !== undefined && { timeoutMs: this.#opts.trackerTimeoutMs }),
          });
    const dht =
      isPrivate || !this.#opts.dht
        ? undefined
        : deferredAnnouncer(
            this.#dhtNode().then((node) => createDhtAnnouncer({ node, infoHash, port: this.port, hooks, log: log.withTag("dht"), clock: this.#clock })),
            (err) => onWarning(`the DHT is not available: ${errorMessage(err)}`),
          );
    return combineAnnouncers([trackers, dht]);
  }

  /** The client's one DHT node, started on first use. */
  #dhtNode(): Promise<DhtNode> {
    const o = this.#opts.dht!;
    this.#dht ??= startDhtNode({
      host: o.host ?? this.#opts.host ?? "0.0.0.0",
      // The uTP socket holds the peer port over UDP: a DHT asked for the same port takes any free one.
      port: o.port !== 0 && o.port === this.port && this.#opts.utp !== "off" ? 0 : o.port,
      bootstrap: o.bootstrap,
      ...(o.statePath !== undefined && { statePath: o.statePath }),
      log: this.#log.withTag("dht"),
      clock: this.#clock,
    });
    return this.#dht;
  }

  #udpClient(): UdpTrackerClient {
    const host = this.#opts.host;
    this.#udp ??= createUdpTrackerClient({
      log: this.#log.withTag("udp-tracker"),
      retryBaseMs: UDP_ANNOUNCE_RETRY_BASE_MS,
      clock: this.#clock,
      timers: this.#clock,
      ...(host !== undefined && host !== "0.0.0.0" && !host.includes(":") && { bindHost: host }),
    });
    return this.#udp;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Listens on `host` (default both families, see listenDualStack) at `port`, or the next free of PORT_ATTEMPTS. */
function listenOnFirstFree(
  host: string | undefined,
  port: number,
  tryNext: boolean,
  route: Parameters<typeof listenForPeers>[2],
  opts: Parameters<typeof listenForPeers>[3],
  accept: (transport: Transport) => boolean,
): PeerListener {
  for (let i = 0; ; i++) {
    try {
      return host === undefined ? listenDualStack(port + i, route, opts, accept) : listenForPeers(host, port + i, route, opts, accept);
    } catch (err) {
      if (!tryNext || port === 0 || i + 1 >= PORT_ATTEMPTS) throw err;
    }
  }
}
