// Metainfo: the validated contents of a .torrent file (BEP 3, BEP 12, BEP 27, BEP 47, BEP 52). Plain data.

/** One file of a torrent, in torrent order, with its byte offset in the torrent's concatenated data. */
export interface TorrentFile {
  /** Path components below the torrent's root (for a single-file torrent: [name]). Sanitized. */
  readonly path: readonly string[];
  readonly lengthBytes: number;
  /** Offset of the file's first byte in the concatenation of all files. */
  readonly offsetBytes: number;
  /** BEP 47 pad file (for v2-only torrents, one implied by BEP 52's piece alignment): counted in the geometry, never written to disk. */
  readonly isPad: boolean;
}

/** BEP 52: one file of the v2 `file tree`, in tree order. */
export interface V2File {
  readonly path: readonly string[];
  readonly lengthBytes: number;
  /** Root of the file's merkle tree (32 bytes); absent for an empty file. */
  readonly piecesRoot?: Uint8Array;
  /** Index of this file in Metainfo.files (which also holds the pad files). */
  readonly fileIndex: number;
}

/** BEP 52 (BitTorrent v2) fields of a v2-only or hybrid torrent. */
export interface V2Info {
  /** SHA-256 of the raw bencoded `info` value (32 bytes). */
  readonly infoHash: Uint8Array;
  readonly infoHashHex: string;
  /** Also a v1 torrent (`pieces` and pad-aligned `files`): Metainfo.infoHash is then the v1 SHA-1. */
  readonly hybrid: boolean;
  readonly files: readonly V2File[];
  /** `piece layers` by hex pieces root (files larger than one piece); empty for a bare info dict. */
  readonly pieceLayers: ReadonlyMap<string, Uint8Array>;
}

export interface Metainfo {
  /**
   * SHA-1 of the raw bencoded `info` value as it appears in the file; for a v2-only torrent, the first
   * 20 bytes of its SHA-256 (BEP 52: the truncated hash used on the wire, by trackers and the DHT).
   */
  readonly infoHash: Uint8Array;
  readonly infoHashHex: string;
  /** The raw bencoded `info` dictionary (for BEP 9 metadata exchange). */
  readonly infoBytes: Uint8Array;
  readonly name: string;
  readonly pieceLength: number;
  /** Concatenated 20-byte SHA-1 piece hashes; empty for a v2-only torrent (see `v2`). */
  readonly pieceHashes: Uint8Array;
  readonly pieceCount: number;
  readonly totalLength: number;
  readonly files: readonly TorrentFile[];
  /** True when the info dict has `files` (data goes under <out>/<name>/...). */
  readonly multiFile: boolean;
  /** BEP 12 tiers; when only `announce` is present, a single tier holding it. */
  readonly announceTiers: readonly (readonly string[])[];
  /** BEP 27 private flag. */
  readonly private: boolean;
  /** BEP 52 fields of a v2-only or hybrid torrent; absent for a v1 torrent. */
  readonly v2?: V2Info;
  /** BEP 19 web seeds, kept for later. */
  readonly urlList: readonly string[];
  readonly comment?: string;
  readonly createdBy?: string;
  /** Unix seconds. */
  readonly creationDate?: number;
}
