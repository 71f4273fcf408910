// uTP packets (BEP 29): the 20-byte header, the extension chain with selective acks, and 16-bit
// sequence number arithmetic. Pure; decodePacket throws UtpError on anything malformed.

import { UtpError } from "../util/index.ts";

// BEP 29: packet types.
export const ST_DATA = 0;
export const ST_FIN = 1;
export const ST_STATE = 2;
export const ST_RESET = 3;
export const ST_SYN = 4;
/** BEP 29: the protocol version in the low nibble of the first byte. */
export const UTP_VERSION = 1;
export const HEADER_BYTES = 20;
/** BEP 29: extension type of the selective ack bitmask. */
export const EXT_SELECTIVE_ACK = 1;
/** Selective ack bitmask bytes we send at most (256 packets past ack_nr + 1). */
export const MAX_SACK_BYTES = 32;

export type PacketType = typeof ST_DATA | typeof ST_FIN | typeof ST_STATE | typeof ST_RESET | typeof ST_SYN;

export interface UtpPacket {
  type: PacketType;
  connectionId: number;
  /** Sender's clock in microseconds, modulo 2^32. */
  timestampUs: number;
  /** Sender's view of (its receive time - our send time) of the last packet it got, modulo 2^32. */
  timestampDiffUs: number;
  /** Bytes the sender can still take in. */
  windowBytes: number;
  seq: number;
  ack: number;
  /** Selective ack bitmask: bit i (byte i >> 3, bit i & 7) acknowledges ack + 2 + i. */
  sack?: Uint8Array | undefined;
  payload: Uint8Array;
}

const TYPE_NAMES = ["ST_DATA", "ST_FIN", "ST_STATE", "ST_RESET", "ST_SYN"] as const;

export function packetTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** Decodes one datagram; throws UtpError for a bad version, type, truncated header or extension. */
export function decodePacket(bytes: Uint8Array): UtpPacket {
  if (bytes.length < HEADER_BYTES) throw new UtpError(`utp packet too short: ${bytes.length} < ${HEADER_BYTES} bytes`);
  const type = bytes[0]! >> 4;
  const version = bytes[0]! & 0x0f;
  if (version !== UTP_VERSION) throw new UtpError(`utp version ${version}, expected ${UTP_VERSION}`);
  if (type > ST_SYN) throw new UtpError(`unknown utp packet type ${type}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let ext = bytes[1]!;
  let offset = HEADER_BYTES;
  let sack: Uint8Array | undefined;
  // Each extension costs at least 2 bytes, so the chain ends within the datagram.
  while (ext !== 0) {
    if (offset + 2 > bytes.length) throw new UtpError(`utp extension header truncated at byte ${offset}`);
    const next = bytes[offset]!;
    const length = bytes[offset + 1]!;
    if (offset + 2 + length > bytes.length) throw new UtpError(`utp extension ${ext} of ${length} bytes runs past the packet`);
    if (ext === EXT_SELECTIVE_ACK) {
      // BEP 29: the bitmask is a multiple of 4 bytes, at least 4.
      if (length === 0 || length % 4 !== 0) throw new UtpError(`utp selective ack of ${length} bytes, expected a multiple of 4`);
      sack = bytes.subarray(offset + 2, offset + 2 + length);
    }
    // Other extensions (libtorrent's close reason, 3) are skipped.
    offset += 2 + length;
    ext = next;
  }
  return {
    type: type as PacketType,
    connectionId: view.getUint16(2),
    timestampUs: view.getUint32(4),
    timestampDiffUs: view.getUint32(8),
    windowBytes: view.getUint32(12),
    seq: view.getUint16(16),
    ack: view.getUint16(18),
    sack,
    payload: bytes.subarray(offset),
  };
}

/** Encodes a packet: header, the selective ack extension if given, then the payload. */
export function encodePacket(p: UtpPacket): Uint8Array {
  const sackBytes = p.sack ? 2 + p.sack.length : 0;
  const out = new Uint8Array(HEADER_BYTES + sackBytes + p.payload.length);
  // Bytes written one by one: this runs once per datagram, and a DataView per packet cost more.
  out[0] = (p.type << 4) | UTP_VERSION;
  out[1] = p.sack ? EXT_SELECTIVE_ACK : 0;
  put16(out, 2, p.connectionId);
  put32(out, 4, p.timestampUs);
  put32(out, 8, p.timestampDiffUs);
  put32(out, 12, Math.max(0, Math.min(p.windowBytes, 0xffffffff)));
  put16(out, 16, p.seq);
  put16(out, 18, p.ack);
  if (p.sack) {
    out[20] = 0;
    out[21] = p.sack.length;
    out.set(p.sack, 22);
  }
  if (p.payload.length > 0) out.set(p.payload, HEADER_BYTES + sackBytes);
  return out;
}

function put16(out: Uint8Array, at: number, v: number): void {
  out[at] = (v >> 8) & 0xff;
  out[at + 1] = v & 0xff;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = (v >>> 24) & 0xff;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/** a - b on the 16-bit sequence circle, in [-32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

export function seqAdd(a: number, n: number): number {
  return (a + n) & 0xffff;
}

/** Whether a comes before b on the sequence circle. */
export function seqLess(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

/** Sequence numbers a selective ack acknowledges (ack + 2 + bit index), in order. */
export function sackedSeqs(ack: number, sack: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < sack.length * 8; i++) if (sack[i >> 3]! & (1 << (i & 7))) out.push(seqAdd(ack, 2 + i));
  return out;
}

/** A selective ack bitmask for `received` (sequence numbers past ack + 1), 4..MAX_SACK_BYTES bytes; undefined when none fit. */
export function buildSack(ack: number, received: Iterable<number>): Uint8Array | undefined {
  let bits: number[] | undefined;
  for (const seq of received) {
    const i = seqDiff(seq, ack) - 2;
    if (i < 0 || i >= MAX_SACK_BYTES * 8) continue;
    (bits ??= []).push(i);
  }
  if (!bits) return undefined;
  const length = Math.ceil((Math.max(...bits) + 1) / 32) * 4;
  const sack = new Uint8Array(length);
  for (const i of bits) sack[i >> 3] = sack[i >> 3]! | (1 << (i & 7));
  return sack;
}

/** Microseconds modulo 2^32 of a millisecond clock reading (uTP timestamps). */
export function timestampUs(nowMs: number): number {
  return Math.floor(nowMs * 1000) >>> 0;
}
