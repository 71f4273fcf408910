// Peer wire messages after the handshake: BEP 3 core, BEP 5 port, BEP 6 fast extension, BEP 10 extended.
// Pure; no I/O. Frames are <uint32 length><uint8 id><payload>; a zero length is a keep-alive.

import { WireError } from "../util/index.ts";

/** Message ids: BEP 3 (0-8), BEP 5 (9), BEP 6 (13-17), BEP 10 (20). */
export const MESSAGE_ID = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  not_interested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest: 13,
  have_all: 14,
  have_none: 15,
  reject: 16,
  allowed_fast: 17,
  extended: 20,
} as const;

/** BEP 3: length prefix (4) + id (1) + index (4) + begin (4) in front of a piece's block. */
export const PIECE_HEADER_LENGTH = 13;

/**
 * A decoded message. Byte fields (`bytes`, `block`, `payload`) returned by decodeMessage are views into the
 * frame: valid only during the callback that received them; copy what you keep.
 */
export type PeerMessage =
  | { readonly type: "keep_alive" }
  | { readonly type: "choke" }
  | { readonly type: "unchoke" }
  | { readonly type: "interested" }
  | { readonly type: "not_interested" }
  | { readonly type: "have"; readonly index: number }
  | { readonly type: "bitfield"; readonly bytes: Uint8Array }
  | { readonly type: "request"; readonly index: number; readonly begin: number; readonly length: number }
  | { readonly type: "piece"; readonly index: number; readonly begin: number; readonly block: Uint8Array }
  | { readonly type: "cancel"; readonly index: number; readonly begin: number; readonly length: number }
  | { readonly type: "port"; readonly port: number }
  | { readonly type: "suggest"; readonly index: number }
  | { readonly type: "have_all" }
  | { readonly type: "have_none" }
  | { readonly type: "reject"; readonly index: number; readonly begin: number; readonly length: number }
  | { readonly type: "allowed_fast"; readonly index: number }
  /** BEP 10: `id` is the extended message id (0 = extension handshake); `payload` follows it. */
  | { readonly type: "extended"; readonly id: number; readonly payload: Uint8Array }
  /** An id this module does not know; returned rather than thrown so the caller decides. */
  | { readonly type: "unknown"; readonly id: number; readonly payload: Uint8Array };

export type PeerMessageType = PeerMessage["type"];

function checkU32(name: string, value: number): void {
  if (value >>> 0 !== value) throw new RangeError(`${name} must be a uint32, got ${value}`);
}

/** Allocates a frame with its length prefix and id written; the caller fills bytes 5.. */
function frame(id: number, payloadLength: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(5 + payloadLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 1 + payloadLength);
  bytes[4] = id;
  return { bytes, view };
}

function encodeTriple(id: number, index: number, begin: number, length: number): Uint8Array {
  checkU32("index", index);
  checkU32("begin", begin);
  checkU32("length", length);
  const { bytes, view } = frame(id, 12);
  view.setUint32(5, index);
  view.setUint32(9, begin);
  view.setUint32(13, length);
  return bytes;
}

function encodeIndex(id: number, index: number): Uint8Array {
  checkU32("index", index);
  const { bytes, view } = frame(id, 4);
  view.setUint32(5, index);
  return bytes;
}

function encodeWithPayload(id: number, payload: Uint8Array): Uint8Array {
  const { bytes } = frame(id, payload.length);
  bytes.set(payload, 5);
  return bytes;
}

/** Fast path: a 17-byte `request` frame. */
export function encodeRequest(index: number, begin: number, length: number): Uint8Array {
  return encodeTriple(MESSAGE_ID.request, index, begin, length);
}

/** BEP 3: a `request` frame is 17 bytes (length prefix, id, index, begin, length). */
export const REQUEST_FRAME_LENGTH = 17;

/** Writes a `request` frame into `out` at `at` (many requests go out in one buffer, no copy each). */
export function writeRequest(out: DataView, at: number, index: number, begin: number, length: number): void {
  out.setUint32(at, 13);
  out.setUint8(at + 4, MESSAGE_ID.request);
  out.setUint32(at + 5, index);
  out.setUint32(at + 9, begin);
  out.setUint32(at + 13, length);
}

/** Fast path: a 9-byte `have` frame. */
export function encodeHave(index: number): Uint8Array {
  return encodeIndex(MESSAGE_ID.have, index);
}

/** The 13-byte head of a `piece` frame carrying `blockLength` bytes; write the block after it, uncopied. */
export function encodePieceHeader(index: number, begin: number, blockLength: number): Uint8Array {
  const out = new Uint8Array(PIECE_HEADER_LENGTH);
  writePieceHeader(new DataView(out.buffer), 0, index, begin, blockLength);
  return out;
}

/** Writes a piece message's 13-byte header at `at` (the block follows it), for batches built in place. */
export function writePieceHeader(out: DataView, at: number, index: number, begin: number, blockLength: number): void {
  checkU32("index", index);
  checkU32("begin", begin);
  if (blockLength < 0 || blockLength > 0xffffffff - 9) throw new RangeError(`block length out of range: ${blockLength}`);
  out.setUint32(at, 9 + blockLength);
  out.setUint8(at + 4, MESSAGE_ID.piece);
  out.setUint32(at + 5, index);
  out.setUint32(at + 9, begin);
}

/** Encodes any message as one length-prefixed frame. Throws RangeError on out-of-range fields (a local bug). */
export function encodeMessage(msg: PeerMessage): Uint8Array {
  switch (msg.type) {
    case "keep_alive":
      return new Uint8Array(4);
    case "choke":
    case "unchoke":
    case "interested":
    case "not_interested":
    case "have_all":
    case "have_none":
      return frame(MESSAGE_ID[msg.type], 0).bytes;
    case "have":
    case "suggest":
    case "allowed_fast":
      return encodeIndex(MESSAGE_ID[msg.type], msg.index);
    case "request":
    case "cancel":
    case "reject":
      return encodeTriple(MESSAGE_ID[msg.type], msg.index, msg.begin, msg.length);
    case "bitfield":
      return encodeWithPayload(MESSAGE_ID.bitfield, msg.bytes);
    case "piece": {
      const out = new Uint8Array(PIECE_HEADER_LENGTH + msg.block.length);
      out.set(encodePieceHeader(msg.index, msg.begin, msg.block.length), 0);
      out.set(msg.block, PIECE_HEADER_LENGTH);
      return out;
    }
    case "port": {
      if (!Number.isInteger(msg.port) || msg.port < 0 || msg.port > 0xffff) throw new RangeError(`port out of range: ${msg.port}`);
      const { bytes, view } = frame(MESSAGE_ID.port, 2);
      view.setUint16(5, msg.port);
      return bytes;
    }
    case "extended": {
      if (!Number.isInteger(msg.id) || msg.id < 0 || msg.id > 0xff) throw new RangeError(`extended id out of range: ${msg.id}`);
      const { bytes } = frame(MESSAGE_ID.extended, 1 + msg.payload.length);
      bytes[5] = msg.id;
      bytes.set(msg.payload, 6);
      return bytes;
    }
    case "unknown":
      if (!Number.isInteger(msg.id) || msg.id < 0 || msg.id > 0xff) throw new RangeError(`message id out of range: ${msg.id}`);
      return encodeWithPayload(msg.id, msg.payload);
  }
}

const NO_PAYLOAD = ["choke", "unchoke", "interested", "not_interested"] as const;

function expectLength(name: string, payload: Uint8Array, expected: number): void {
  if (payload.length !== expected) {
    throw new WireError(`${name} message has wrong length: ${payload.length} != ${expected}`);
  }
}

function viewOf(payload: Uint8Array): DataView {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
}

/**
 * Decodes one frame's id and payload (the bytes after the id). Throws WireError when a known message has a
 * wrong length; unknown ids come back as `{ type: "unknown" }`. Byte fields are views into `payload`.
 */
export function decodeMessage(id: number, payload: Uint8Array): PeerMessage {
  switch (id) {
    case MESSAGE_ID.choke:
    case MESSAGE_ID.unchoke:
    case MESSAGE_ID.interested:
    case MESSAGE_ID.not_interested: {
      const type = NO_PAYLOAD[id];
      expectLength(type, payload, 0);
      return { type };
    }
    case MESSAGE_ID.have_all:
      expectLength("have_all", payload, 0);
      return { type: "have_all" };
    case MESSAGE_ID.have_none:
      expectLength("have_none", payload, 0);
      return { type: "have_none" };
    case MESSAGE_ID.have:
    case MESSAGE_ID.suggest:
    case MESSAGE_ID.allowed_fast: {
      const type = id === MESSAGE_ID.have ? "have" : id === MESSAGE_ID.suggest ? "suggest" : "allowed_fast";
      expectLength(type, payload, 4);
      return { type, index: viewOf(payload).getUint32(0) };
    }
    case MESSAGE_ID.request:
    case MESSAGE_ID.cancel:
    case MESSAGE_ID.reject: {
      const type = id === MESSAGE_ID.request ? "request" : id === MESSAGE_ID.cancel ? "cancel" : "reject";
      expectLength(type, payload, 12);
      const view = viewOf(payload);
      return { type, index: view.getUint32(0), begin: view.getUint32(4), length: view.getUint32(8) };
    }
    case MESSAGE_ID.bitfield:
      return { type: "bitfield", bytes: payload };
    case MESSAGE_ID.piece: {
      if (payload.length < 8) throw new WireError(`piece message too short: ${payload.length} < 8`);
      const view = viewOf(payload);
      return { type: "piece", index: view.getUint32(0), begin: view.getUint32(4), block: payload.subarray(8) };
    }
    case MESSAGE_ID.port:
      expectLength("port", payload, 2);
      return { type: "port", port: viewOf(payload).getUint16(0) };
    case MESSAGE_ID.extended:
      if (payload.length < 1) throw new WireError(`extended message too short: ${payload.length} < 1`);
      return { type: "extended", id: payload[0]!, payload: payload.subarray(1) };
    default:
      return { type: "unknown", id, payload };
  }
}
