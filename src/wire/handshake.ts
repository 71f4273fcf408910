// The 68-byte peer handshake (BEP 3) and its reserved bits (BEP 5 DHT, BEP 6 fast, BEP 10 extended).
// Pure; no I/O.

import { WireError, decodeUtf8 } from "../util/index.ts";

/** BEP 3: the protocol string every handshake starts with (after its length byte, 19). */
export const PROTOCOL_STRING = "BitTorrent protocol";
const PSTR = new TextEncoder().encode(PROTOCOL_STRING);
/** BEP 3: pstrlen (1) + pstr (19) + reserved (8) + info_hash (20) + peer_id (20). */
export const HANDSHAKE_LENGTH = 68;
const RESERVED_OFFSET = 20;
const INFO_HASH_OFFSET = 28;
const PEER_ID_OFFSET = 48;

/** One flag in the 8 reserved handshake bytes. */
export interface ReservedBit {
  readonly byte: number;
  readonly mask: number;
}

/** BEP 5: the peer runs a DHT node (it may send `port`). */
export const RESERVED_DHT: ReservedBit = { byte: 7, mask: 0x01 };
/** BEP 6: the fast extension (have_all, have_none, suggest, reject, allowed_fast). */
export const RESERVED_FAST: ReservedBit = { byte: 7, mask: 0x04 };
/** BEP 10: the extension protocol (message id 20). */
export const RESERVED_EXTENDED: ReservedBit = { byte: 5, mask: 0x10 };

/** A decoded handshake; its byte arrays are copies the caller may keep. */
export interface Handshake {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  /** The 8 reserved bytes; test them with `hasReservedBit`. */
  readonly reserved: Uint8Array;
}

/** Whether `bit` is set in 8 reserved handshake bytes. */
export function hasReservedBit(reserved: Uint8Array, bit: ReservedBit): boolean {
  return ((reserved[bit.byte] ?? 0) & bit.mask) !== 0;
}

/** Builds the 8 reserved bytes advertising the given extensions. */
export function makeReserved(flags: { fast?: boolean; extended?: boolean; dht?: boolean }): Uint8Array {
  const reserved = new Uint8Array(8);
  const set = (bit: ReservedBit): void => {
    reserved[bit.byte]! |= bit.mask;
  };
  if (flags.fast) set(RESERVED_FAST);
  if (flags.extended) set(RESERVED_EXTENDED);
  if (flags.dht) set(RESERVED_DHT);
  return reserved;
}

/** Encodes a handshake; `reserved` defaults to all zeroes. Throws RangeError on wrong-sized ids (a local bug). */
export function encodeHandshake(hs: { infoHash: Uint8Array; peerId: Uint8Array; reserved?: Uint8Array }): Uint8Array {
  if (hs.infoHash.length !== 20) throw new RangeError(`info hash must be 20 bytes, got ${hs.infoHash.length}`);
  if (hs.peerId.length !== 20) throw new RangeError(`peer id must be 20 bytes, got ${hs.peerId.length}`);
  if (hs.reserved && hs.reserved.length !== 8) throw new RangeError(`reserved must be 8 bytes, got ${hs.reserved.length}`);
  const out = new Uint8Array(HANDSHAKE_LENGTH);
  out[0] = PSTR.length;
  out.set(PSTR, 1);
  if (hs.reserved) out.set(hs.reserved, RESERVED_OFFSET);
  out.set(hs.infoHash, INFO_HASH_OFFSET);
  out.set(hs.peerId, PEER_ID_OFFSET);
  return out;
}

/** Decodes a 68-byte handshake; throws WireError when the length or protocol string is wrong. */
export function decodeHandshake(bytes: Uint8Array): Handshake {
  if (bytes.length !== HANDSHAKE_LENGTH) {
    throw new WireError(`handshake has wrong length: ${bytes.length} != ${HANDSHAKE_LENGTH}`);
  }
  if (bytes[0] !== PSTR.length) {
    throw new WireError(`handshake has wrong protocol string length: ${bytes[0]} != ${PSTR.length}`);
  }
  for (let i = 0; i < PSTR.length; i++) {
    if (bytes[1 + i] !== PSTR[i]) {
      const got = JSON.stringify(decodeUtf8(bytes.subarray(1, 1 + PSTR.length)));
      throw new WireError(`handshake has wrong protocol string: ${got} != "${PROTOCOL_STRING}"`);
    }
  }
  // new Uint8Array(view) copies, even when `bytes` is a Node Buffer (whose slice() would be a view).
  return {
    reserved: new Uint8Array(bytes.subarray(RESERVED_OFFSET, INFO_HASH_OFFSET)),
    infoHash: new Uint8Array(bytes.subarray(INFO_HASH_OFFSET, PEER_ID_OFFSET)),
    peerId: new Uint8Array(bytes.subarray(PEER_ID_OFFSET, HANDSHAKE_LENGTH)),
  };
}
