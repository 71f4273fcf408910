// Metainfo: the validated contents of a .torrent file (BEP 3, BEP 12, BEP 27, BEP 47). Plain data.

/** One file of a torrent, in torrent order, with its byte offset in the torrent's concatenated data. */
export interface TorrentFile {
  /** Path components below the torrent's root (for a single-file torrent: [name]). Sanitized. */
  readonly path: readonly string[];
  readonly lengthBytes: number;
  /** Offset of the file's first byte in the concatenation of all files. */
  readonly offsetBytes: number;
  /** BEP 47 pad file: counted in the geometry, never written to disk. */
  readonly isPad: boolean;
}

export interface Metainfo {
  /** SHA-1 of the raw bencoded `info` value as it appears in the file. */
  readonly infoHash: Uint8Array;
  readonly infoHashHex: string;
  /** The raw bencoded `info` dictionary (for BEP 9 metadata exchange). */
  readonly infoBytes: Uint8Array;
  readonly name: string;
  readonly pieceLength: number;
  /** Concatenated 20-byte SHA-1 piece hashes. */
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
  /** BEP 19 web seeds, kept for later. */
  readonly urlList: readonly string[];
  readonly comment?: string;
  readonly createdBy?: string;
  /** Unix seconds. */
  readonly creationDate?: number;
}
