// ut_metadata (BEP 9): request, data and reject messages that carry the info dict in 16 KiB pieces.
// Pure; no I/O. These are extended-message payloads; frame them with encodeExtendedMessage(peerId, ...).

import { type BencodeValue, decodePrefix, encodeBencode, isDict } from "../bencode/index.ts";
import { LIMITS, WireError, errorMessage } from "../util/index.ts";

/** BEP 9: the info dict travels in pieces of 16 KiB; only the last may be shorter. */
export const METADATA_PIECE_SIZE = 16384;

/**
 * Largest info dict we fetch or serve (8 MiB = 512 pieces). It holds about 400,000 piece hashes, e.g. a
 * 400 GiB torrent in 1 MiB pieces, far beyond nearly every real torrent; the whole dict is buffered in
 * memory while it is assembled, so a peer claiming a bigger `metadata_size` must not make us allocate it.
 */
export const MAX_METADATA_SIZE = LIMITS.metadataBytes;

/** BEP 9 msg_type values. */
export const METADATA_MSG_TYPE = { request: 0, data: 1, reject: 2 } as const;

/** One ut_metadata message. A msg_type we do not know comes back as "unknown" (BEP 9: ignore it). */
export type MetadataMessage =
  | { type: "request"; piece: number }
  | { type: "data"; piece: number; totalSize: number; block: Uint8Array }
  | { type: "reject"; piece: number }
  | { type: "unknown"; msgType: number; piece: number };

/** Number of 16 KiB pieces of an info dict of `size` bytes. */
export function metadataPieceCount(size: number): number {
  return Math.ceil(size / METADATA_PIECE_SIZE);
}

/** Bytes in piece `piece` of an info dict of `size` bytes (16 KiB except the last). */
export function metadataPieceLength(size: number, piece: number): number {
  return Math.min(METADATA_PIECE_SIZE, size - piece * METADATA_PIECE_SIZE);
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_METADATA_SIZE) {
    throw new RangeError(`metadata size out of range: ${size} (expected 1-${MAX_METADATA_SIZE})`);
  }
}

/**
 * Encodes a message as an extended-message payload (the dict, plus the block for data). Throws RangeError
 * on a piece or block that does not fit the size (a local bug).
 */
export function encodeMetadataMessage(msg: Exclude<MetadataMessage, { type: "unknown" }>): Uint8Array {
  if (!Number.isInteger(msg.piece) || msg.piece < 0) throw new RangeError(`metadata piece out of range: ${msg.piece}`);
  if (msg.type !== "data") return encodeBencode({ msg_type: METADATA_MSG_TYPE[msg.type], piece: msg.piece });
  checkSize(msg.totalSize);
  if (msg.piece >= metadataPieceCount(msg.totalSize)) throw new RangeError(`metadata piece ${msg.piece} beyond a size of ${msg.totalSize}`);
  const expected = metadataPieceLength(msg.totalSize, msg.piece);
  if (msg.block.length !== expected) throw new RangeError(`metadata piece ${msg.piece} must be ${expected} bytes, got ${msg.block.length}`);
  const dict = encodeBencode({ msg_type: METADATA_MSG_TYPE.data, piece: msg.piece, total_size: msg.totalSize });
  const out = new Uint8Array(dict.length + msg.block.length);
  out.set(dict, 0);
  out.set(msg.block, dict.length);
  return out;
}

/**
 * What to answer a request with when serving `infoBytes` (undefined: we do not have the metadata yet):
 * the piece, or a reject for a piece we lack or that is out of range (BEP 9 answers those with reject).
 */
export function answerMetadataRequest(infoBytes: Uint8Array | undefined, piece: number): Exclude<MetadataMessage, { type: "unknown" }> {
  if (infoBytes === undefined || infoBytes.length > MAX_METADATA_SIZE || piece >= metadataPieceCount(infoBytes.length)) {
    return { type: "reject", piece };
  }
  const start = piece * METADATA_PIECE_SIZE;
  const block = infoBytes.subarray(start, start + metadataPieceLength(infoBytes.length, piece));
  return { type: "data", piece, totalSize: infoBytes.length, block };
}

const int = (v: BencodeValue | undefined): v is number => typeof v === "number" && Number.isSafeInteger(v);

/**
 * Decodes an extended-message payload. Throws WireError on malformed bencode, a missing or negative
 * `piece`, bytes after a request or reject, or a data message whose `total_size` is out of range
 * (0 or above MAX_METADATA_SIZE), whose piece lies beyond it, or whose block is not exactly the piece's
 * length. The data block is a view into `payload`.
 */
export function decodeMetadataMessage(payload: Uint8Array): MetadataMessage {
  let value: BencodeValue;
  let end: number;
  try {
    ({ value, end } = decodePrefix(payload));
  } catch (err) {
    throw new WireError(`ut_metadata message is not valid bencode: ${errorMessage(err)}`, { cause: err });
  }
  if (!isDict(value)) throw new WireError("ut_metadata message is not a dictionary");
  const msgType = value.get("msg_type");
  const piece = value.get("piece");
  if (!int(msgType)) throw new WireError("ut_metadata message has no integer msg_type");
  if (!int(piece) || piece < 0) throw new WireError(`ut_metadata message has no valid piece (msg_type ${msgType})`);
  const rest = payload.length - end;
  if (msgType === METADATA_MSG_TYPE.request || msgType === METADATA_MSG_TYPE.reject) {
    const type = msgType === METADATA_MSG_TYPE.request ? "request" : "reject";
    if (rest !== 0) throw new WireError(`ut_metadata ${type} has ${rest} bytes after its dictionary`);
    return { type, piece };
  }
  if (msgType !== METADATA_MSG_TYPE.data) return { type: "unknown", msgType, piece };
  const totalSize = value.get("total_size");
  if (!int(totalSize) || totalSize < 1 || totalSize > MAX_METADATA_SIZE) {
    const shown = typeof totalSize === "number" || typeof totalSize === "bigint" ? String(totalSize) : "missing";
    throw new WireError(`ut_metadata data has total_size ${shown}, expected 1-${MAX_METADATA_SIZE}`);
  }
  const count = metadataPieceCount(totalSize);
  if (piece >= count) throw new WireError(`ut_metadata data for piece ${piece}, but total_size ${totalSize} makes ${count} pieces`);
  const expected = metadataPieceLength(totalSize, piece);
  if (rest !== expected) throw new WireError(`ut_metadata data for piece ${piece} has ${rest} bytes, expected ${expected}`);
  return { type: "data", piece, totalSize, block: payload.subarray(end) };
}
