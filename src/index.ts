// ripple's public library API: a Client that runs torrents, the .torrent parser, and the error types.
// The CLI (src/cli) is built on exactly this surface.

export { Client, DEFAULT_PORT, type AddTorrentOptions, type ClientOptions } from "./client.ts";
export { Torrent, DEFAULT_MAX_PEERS, type TorrentEvents, type TorrentStats } from "./swarm/index.ts";
export { parseMetainfo, type Metainfo, type TorrentFile } from "./metainfo/index.ts";
export {
  RippleError,
  BencodeError,
  MetainfoError,
  WireError,
  TrackerError,
  StorageError,
  parsePeerAddress,
  formatPeerAddress,
  createLogger,
  silentLogger,
  type Logger,
  type PeerAddress,
} from "./util/index.ts";
export { VERSION } from "./version.ts";
