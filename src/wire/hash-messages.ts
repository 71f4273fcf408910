// BEP 52 hash request (21), hashes (22) and hash reject (23): merkle tree hashes of one file, by pieces
// root, base layer, index, length and proof layers. Pure; no I/O. Other ids are decoded in messages.ts.

import { WireError } from "../util/index.ts";

export const HASH_REQUEST_ID = 21;
export const HASHES_ID = 22;
export const HASH_REJECT_ID = 23;

/** pieces root (32) + base layer, index, length, proof layers (4 each). */
const HEADER_BYTES = 48;

export interface HashRequest {
  readonly piecesRoot: Uint8Array;
  /** 0 = the 16 KiB block layer; the piece layer is log2(piece length / 16 KiB). */
  readonly baseLayer: number;
  /** First hash of the base layer, a multiple of `length`. */
  readonly index: number;
  /** Hashes of the base layer, a power of two. */
  readonly length: number;
  /** Layers above the base layer whose uncle hashes prove the range (those the range covers are left out). */
  readonly proofLayers: number;
}

function encode(id: number, req: HashRequest, hashes?: Uint8Array): Uint8Array {
  if (req.piecesRoot.length !== 32) throw new RangeError(`pieces root must be 32 bytes, got ${req.piecesRoot.length}`);
  const payload = HEADER_BYTES + (hashes?.length ?? 0);
  const bytes = new Uint8Array(5 + payload);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 1 + payload);
  bytes[4] = id;
  bytes.set(req.piecesRoot, 5);
  view.setUint32(37, req.baseLayer);
  view.setUint32(41, req.index);
  view.setUint32(45, req.length);
  view.setUint32(49, req.proofLayers);
  if (hashes) bytes.set(hashes, 5 + HEADER_BYTES);
  return bytes;
}

export function encodeHashRequest(req: HashRequest): Uint8Array {
  return encode(HASH_REQUEST_ID, req);
}

/** The requested hashes followed by the uncle hashes, lowest layer first. */
export function encodeHashes(req: HashRequest, hashes: Uint8Array): Uint8Array {
  if (hashes.length % 32 !== 0) throw new RangeError(`hashes must be whole 32-byte hashes, got ${hashes.length} bytes`);
  return encode(HASHES_ID, req, hashes);
}

export function encodeHashReject(req: HashRequest): Uint8Array {
  return encode(HASH_REJECT_ID, req);
}

/** The request in a hash request or hash reject payload (after the id); throws WireError on a bad length. */
export function decodeHashRequest(payload: Uint8Array, what = "hash request"): HashRequest {
  if (payload.length !== HEADER_BYTES) throw new WireError(`${what} payload is ${payload.length} bytes, expected ${HEADER_BYTES}`);
  return readHeader(payload);
}

/** A hashes payload: the request it answers and its hashes (a view into `payload`). */
export function decodeHashes(payload: Uint8Array): { request: HashRequest; hashes: Uint8Array } {
  if (payload.length < HEADER_BYTES || (payload.length - HEADER_BYTES) % 32 !== 0) {
    throw new WireError(`hashes payload is ${payload.length} bytes, expected ${HEADER_BYTES} plus whole 32-byte hashes`);
  }
  return { request: readHeader(payload), hashes: payload.subarray(HEADER_BYTES) };
}

function readHeader(payload: Uint8Array): HashRequest {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    piecesRoot: payload.slice(0, 32),
    baseLayer: view.getUint32(32),
    index: view.getUint32(36),
    length: view.getUint32(40),
    proofLayers: view.getUint32(44),
  };
}
