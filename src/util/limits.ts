// Every resource cap ripple applies to what strangers can make it hold, in one place. Each layer names
// its constant after the concept and takes the number from here; exceeding a cap degrades (refuse,
// drop, ignore) and never grows memory without bound. Pure data.

export const LIMITS = {
  /** Peer connections per torrent, incoming and outgoing (default of --max-peers). */
  peersPerTorrent: 50,
  /** Connection attempts in flight at once per torrent. */
  halfOpenConnections: 16,
  /** Addresses remembered per torrent, whatever trackers, PEX or the DHT hand over. */
  knownPeersPerTorrent: 2000,
  /** Peers taken from one tracker reply. */
  peersPerTrackerReply: 1000,
  /** Bytes of one HTTP tracker reply. */
  trackerReplyBytes: 1 << 20,
  /** Peers taken from one PEX message (BEP 11 practice; libtorrent's cap). */
  pexPeersPerMessage: 50,
  /** Bytes of piece buffers being filled at once, whatever the torrent's size (16 MiB: 64 pieces of 256 KiB keep one loopback peer busy; 64 MiB bought no speed and ~25 MiB of peak RSS). */
  inFlightPieceBytes: 16 * 1024 * 1024,
  /** uTP (BEP 29): bytes of out-of-order packets held for one connection; beyond it packets are dropped (the peer resends). */
  utpReorderBytes: 1 << 20,
  /** uTP: bytes a connection takes from its writer before it has sent them (the rest waits for `drain`). */
  utpSendBufferBytes: 256 * 1024,
  /** uTP: connections on one UDP socket, dialed and accepted; SYNs past it are answered with a reset. */
  utpConnections: 1000,
  /** Incoming connections still owing their handshake, over all torrents; more are hung up on. */
  incomingHandshakes: 64,
  /** Requests one peer may have queued with us before it counts as a flood (libtorrent allows 2000). */
  queuedRequestsPerPeer: 2000,
  /** Size of an info dictionary fetched from peers (BEP 9): 512 pieces of 16 KiB. */
  metadataBytes: 8 * 1024 * 1024,
  /** Files of one torrent open at once. */
  openFilesPerTorrent: 128,
  /**
   * Bytes of verified pieces cached for uploads (at least two pieces). A piece stays only while its blocks
   * are being sent (the page cache holds the rest), so a few pieces per unchoked peer are enough; at
   * 16 MiB it was most of a seeder's heap.
   */
  uploadReadCacheBytes: 4 * 1024 * 1024,
  /** Blocks nobody asked for that a peer may send (halved every second) before it is dropped. */
  unrequestedBlocksPerPeer: 64,
  /** Chokes a peer may send (halved every second) before it is dropped: chokers act every 10 s or so. */
  chokesPerPeer: 16,
  /** Bytes a peer may leave unread (replies to requests we do not serve piling up) before it is dropped. */
  unreadBytesPerPeer: 2 << 20,
  /** Our requests outstanding to one peer (deep enough for loopback speeds). */
  requestsPerPeer: 512,
  /** `ripple daemon`: bytes of one .torrent uploaded through the Web API. */
  daemonTorrentFileBytes: 16 * 1024 * 1024,
  /** `ripple daemon`: bytes of one HTTP request body (a multipart add of several .torrent files). */
  daemonRequestBodyBytes: 64 * 1024 * 1024,
  /** `ripple daemon`: torrents one daemon keeps. */
  daemonTorrents: 10_000,
} as const;
