// What a piece must hash to: SHA-1 from `pieces` (BEP 3; also for hybrid torrents), or for a v2-only
// torrent (BEP 52) the merkle hash of the file's blocks in that piece against the piece layer or the
// file's pieces root. Pure; no I/O.

import { bytesEqual, sha1, toHex } from "../util/index.ts";
import { pieceHash, pieceLengthAt, spansForRange } from "./geometry.ts";
import { MERKLE_HASH_LENGTH, pieceMerkleHash } from "./merkle.ts";
import type { Metainfo, V2File } from "./types.ts";

/** Whether a torrent's pieces are checked by merkle trees (a v2-only torrent) rather than SHA-1. */
export function usesMerklePieces(meta: Pick<Metainfo, "v2">): boolean {
  return meta.v2 !== undefined && !meta.v2.hybrid;
}

const byFileIndex = new WeakMap<Metainfo, Map<number, V2File>>();

/**
 * The v2 file piece `index` belongs to, with the piece's index within it; undefined for a piece of pad
 * bytes only (which a v2-only layout never has).
 */
export function v2PieceFile(meta: Metainfo, index: number): { file: V2File; localIndex: number; dataBytes: number } | undefined {
  let files = byFileIndex.get(meta);
  if (!files) byFileIndex.set(meta, (files = new Map(meta.v2?.files.map((f) => [f.fileIndex, f]))));
  const start = index * meta.pieceLength;
  const span = spansForRange(meta.files, start, pieceLengthAt(meta, index)).find((s) => !s.file.isPad);
  const file = span && files.get(span.fileIndex);
  if (!span || !file) return undefined;
  return { file, localIndex: Math.floor(span.fileOffset / meta.pieceLength), dataBytes: span.lengthBytes };
}

/** The merkle hash piece `index` must have (from piece layers or the pieces root), if it is known. */
export function expectedMerkleHash(meta: Metainfo, index: number): Uint8Array | undefined {
  const where = v2PieceFile(meta, index);
  const root = where?.file.piecesRoot;
  if (!where || !root) return undefined;
  const { file, localIndex } = where;
  if (file.lengthBytes <= meta.pieceLength) return root;
  const layer = meta.v2!.pieceLayers.get(toHex(root));
  return layer?.subarray(localIndex * MERKLE_HASH_LENGTH, (localIndex + 1) * MERKLE_HASH_LENGTH);
}

/**
 * Whether `data` is piece `index` of the torrent. For a v2-only torrent only the file's bytes count (the
 * pad bytes after a file's end carry nothing); a piece whose hash is not known does not match.
 */
export function pieceMatches(meta: Metainfo, index: number, data: Uint8Array): boolean {
  if (!usesMerklePieces(meta)) return bytesEqual(sha1(data), pieceHash(meta, index));
  const expected = expectedMerkleHash(meta, index);
  const where = v2PieceFile(meta, index);
  if (!expected || !where) return false;
  return bytesEqual(pieceMerkleHash(data.subarray(0, where.dataBytes), meta.pieceLength, where.file.lengthBytes), expected);
}
