// The resume file's format: which pieces were verified, and what each file looked like (size, mtime) when
// that was recorded, so a restart can trust it only while the files are unchanged. Pure; no I/O.
//
// A bencoded dictionary:
//   format      "ripple-resume-1"
//   info hash   20 bytes
//   piece count integer
//   have        the verified-piece bitfield (BEP 3 bit order)
//   files       list, one entry per torrent file: {} for a file that did not exist (and pad files),
//               else { size: integer bytes, mtime: integer milliseconds }
//   saved       integer, Unix milliseconds

import { StorageError, bytesEqual, decodeUtf8Strict } from "../util/index.ts";
import { decodeBencode, encodeBencode, isBytes, isDict, type BencodeValue } from "../bencode/index.ts";

export const RESUME_FORMAT = "ripple-resume-1";

/** What was on disk for one file when the resume state was recorded; undefined = no file. */
export type FileStamp = { readonly sizeBytes: number; readonly mtimeMs: number } | undefined;

export interface ResumeState {
  readonly infoHash: Uint8Array;
  readonly pieceCount: number;
  /** Bitfield bytes of the verified pieces. */
  readonly have: Uint8Array;
  readonly files: readonly FileStamp[];
  readonly savedAtMs: number;
}

export function encodeResume(state: ResumeState): Uint8Array {
  return encodeBencode({
    format: RESUME_FORMAT,
    "info hash": state.infoHash,
    "piece count": state.pieceCount,
    have: state.have,
    files: state.files.map((f) => (f === undefined ? {} : { size: f.sizeBytes, mtime: Math.round(f.mtimeMs) })),
    saved: Math.round(state.savedAtMs),
  });
}

/**
 * Decodes a resume file and checks it belongs to this torrent (infoHash, piece and file counts).
 * Throws StorageError saying what is wrong; the caller then rechecks instead of trusting it.
 */
export function decodeResume(bytes: Uint8Array, expect: { infoHash: Uint8Array; pieceCount: number; fileCount: number }): ResumeState {
  let root: BencodeValue;
  try {
    root = decodeBencode(bytes);
  } catch (err) {
    throw new StorageError(`resume file is corrupt: ${(err as Error).message}`, { cause: err });
  }
  if (!isDict(root)) throw bad("not a dictionary");
  const format = root.get("format");
  if (!isBytes(format) || decodeUtf8Strict(format) !== RESUME_FORMAT) throw bad(`format is not ${RESUME_FORMAT}`);
  const infoHash = root.get("info hash");
  if (!isBytes(infoHash) || !bytesEqual(infoHash, expect.infoHash)) throw bad("it belongs to another torrent");
  const pieceCount = root.get("piece count");
  if (pieceCount !== expect.pieceCount) throw bad(`piece count ${String(pieceCount)} != ${expect.pieceCount}`);
  const have = root.get("have");
  const haveBytes = Math.ceil(expect.pieceCount / 8);
  if (!isBytes(have) || have.length !== haveBytes) throw bad(`have is not a ${haveBytes}-byte bitfield`);
  const files = root.get("files");
  if (!Array.isArray(files) || files.length !== expect.fileCount) throw bad(`files does not list ${expect.fileCount} files`);
  const saved = root.get("saved");
  return {
    infoHash: new Uint8Array(infoHash),
    pieceCount: expect.pieceCount,
    have: new Uint8Array(have),
    files: files.map((f, i) => decodeStamp(f, i)),
    savedAtMs: typeof saved === "number" ? saved : 0,
  };
}

function decodeStamp(v: BencodeValue, index: number): FileStamp {
  if (!isDict(v)) throw bad(`files[${index}] is not a dictionary`);
  if (v.size === 0) return undefined;
  const size = v.get("size");
  const mtime = v.get("mtime");
  if (typeof size !== "number" || size < 0 || typeof mtime !== "number") throw bad(`files[${index}] needs integer size and mtime`);
  return { sizeBytes: size, mtimeMs: mtime };
}

function bad(what: string): StorageError {
  return new StorageError(`resume file is not usable: ${what}`);
}
