// Hashing the files of a BitTorrent v2 or hybrid torrent being created (BEP 52): per-file merkle hashes of
// each piece and, for a hybrid, SHA-1 of the pad-aligned v1 pieces, in one streaming pass. Shell: node:fs
// reads; the tree arithmetic is metainfo/merkle.ts.

import { open, type FileHandle } from "node:fs/promises";
import { MERKLE_HASH_LENGTH, fileHashesFromPieces, pieceMerkleHash, type V2FileHashes } from "../metainfo/index.ts";
import { StorageError, errorMessage, sha1 } from "../util/index.ts";
import type { HashOptions, SourceFile } from "./create-files.ts";

/** Bytes read per call, rounded down to whole pieces (at least one). */
const READ_BYTES = 4 * 1024 * 1024;

export interface V2HashOptions extends Omit<HashOptions, "pool"> {
  /** Also compute v1 piece hashes over the files with pad files (BEP 47) between them. */
  readonly hybrid?: boolean;
  /** A multi-file hybrid pads every file to a piece, the last included; a single file is not padded. */
  readonly multiFile: boolean;
}

export interface V2Hashes {
  /** In the order of the files given (which must be file tree order). */
  readonly files: V2FileHashes[];
  /** Only for a hybrid: the concatenated 20-byte SHA-1 of every v1 piece. */
  readonly v1PieceHashes?: Uint8Array;
}

/**
 * Reads `files` (in file tree order) once, hashing each piece of each file into its merkle piece hash
 * and, for a hybrid, its SHA-1 with the zero bytes of the pad file after it. Throws a StorageError when a
 * file cannot be read or changed size since it was listed.
 */
export async function hashSourceFilesV2(files: readonly SourceFile[], pieceLength: number, options: V2HashOptions): Promise<V2Hashes> {
  const buffer = new Uint8Array(Math.max(1, Math.floor(READ_BYTES / pieceLength)) * pieceLength);
  const zeros = new Uint8Array(pieceLength);
  const v1: Uint8Array[] = [];
  const out: V2FileHashes[] = [];
  let hashed = 0;
  for (const file of files) {
    const pieces = Math.ceil(file.lengthBytes / pieceLength);
    const layer = new Uint8Array(pieces * MERKLE_HASH_LENGTH);
    if (pieces > 0) {
      let handle: FileHandle;
      try {
        handle = await open(file.diskPath, "r");
      } catch (err) {
        throw new StorageError(`cannot read ${file.diskPath}: ${errorMessage(err)}`, { cause: err });
      }
      try {
        const size = (await handle.stat()).size;
        if (size !== file.lengthBytes) throw changed(file, size);
        let piece = 0;
        for (let position = 0; position < file.lengthBytes; ) {
          options.signal?.throwIfAborted();
          const want = Math.min(buffer.length, file.lengthBytes - position);
          const { bytesRead } = await handle.read(buffer, 0, want, position);
          if (bytesRead !== want) throw changed(file, position + bytesRead);
          for (let at = 0; at < want; at += pieceLength, piece++) {
            const data = buffer.subarray(at, Math.min(at + pieceLength, want));
            layer.set(pieceMerkleHash(data, pieceLength, file.lengthBytes), piece * MERKLE_HASH_LENGTH);
            if (options.hybrid) {
              const padded = options.multiFile && data.length < pieceLength;
              v1.push(padded ? sha1(data, zeros.subarray(0, pieceLength - data.length)) : sha1(data));
            }
          }
          position += want;
          hashed += want;
          options.onProgress?.(hashed);
        }
      } finally {
        await handle.close();
      }
    }
    out.push(fileHashesFromPieces(file.path, file.lengthBytes, layer, pieceLength));
  }
  if (!options.hybrid) return { files: out };
  const v1PieceHashes = new Uint8Array(v1.length * 20);
  v1.forEach((h, i) => v1PieceHashes.set(h, i * 20));
  return { files: out, v1PieceHashes };
}

function changed(file: SourceFile, sizeBytes: number): StorageError {
  return new StorageError(
    `cannot read ${file.diskPath}: it changed while the torrent was being made (listed with ${file.lengthBytes} bytes, now ${sizeBytes})`,
  );
}
