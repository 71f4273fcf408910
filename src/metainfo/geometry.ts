// Piece, block and file geometry of a torrent: lengths, block counts, piece <-> file spans. Pure.

import type { Metainfo, TorrentFile } from "./types.ts";

/** BEP 3: the customary request size; peers may refuse larger. */
export const BLOCK_SIZE = 16384;

export function pieceLengthAt(meta: Pick<Metainfo, "pieceLength" | "pieceCount" | "totalLength">, index: number): number {
  if (index < 0 || index >= meta.pieceCount) throw new RangeError(`piece index out of range: ${index}`);
  if (index < meta.pieceCount - 1) return meta.pieceLength;
  return meta.totalLength - meta.pieceLength * (meta.pieceCount - 1);
}

export function blockCount(pieceLengthBytes: number): number {
  return Math.ceil(pieceLengthBytes / BLOCK_SIZE);
}

export function blockLengthAt(pieceLengthBytes: number, blockIndex: number): number {
  return Math.min(BLOCK_SIZE, pieceLengthBytes - blockIndex * BLOCK_SIZE);
}

/** The part of one file that a byte range of the torrent covers. */
export interface FileSpan {
  readonly fileIndex: number;
  readonly file: TorrentFile;
  /** Offset inside the file. */
  readonly fileOffset: number;
  /** Offset inside the range (e.g. the piece). */
  readonly rangeOffset: number;
  readonly lengthBytes: number;
}

/** File spans covered by torrent bytes [start, start + length); zero-length files are skipped. */
export function spansForRange(files: readonly TorrentFile[], start: number, length: number): FileSpan[] {
  const spans: FileSpan[] = [];
  const end = start + length;
  // Binary search for the first file whose end is past `start`.
  let lo = 0;
  let hi = files.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const f = files[mid]!;
    if (f.offsetBytes + f.lengthBytes <= start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < files.length; i++) {
    const f = files[i]!;
    if (f.offsetBytes >= end) break;
    if (f.lengthBytes === 0) continue;
    const s = Math.max(start, f.offsetBytes);
    const e = Math.min(end, f.offsetBytes + f.lengthBytes);
    if (e > s) spans.push({ fileIndex: i, file: f, fileOffset: s - f.offsetBytes, rangeOffset: s - start, lengthBytes: e - s });
  }
  return spans;
}

/** File spans of one piece. */
export function pieceSpans(meta: Metainfo, index: number): FileSpan[] {
  return spansForRange(meta.files, index * meta.pieceLength, pieceLengthAt(meta, index));
}

/** Expected SHA-1 of a piece (a view into pieceHashes). */
export function pieceHash(meta: Pick<Metainfo, "pieceHashes">, index: number): Uint8Array {
  return meta.pieceHashes.subarray(index * 20, index * 20 + 20);
}
