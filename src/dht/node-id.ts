// 160-bit DHT node ids (BEP 5): XOR distance, shared-prefix length, random ids inside a bucket, and the
// BEP 42 node id derived from an external IPv4 address. Pure; randomness comes in as bytes.
// Ids are 20-byte Uint8Arrays (the wire form): no conversion per packet, and distances compare byte by
// byte without allocating, which a bigint would need for every XOR.

import { toHex } from "../util/index.ts";

/** BEP 5: node ids and infoHashes are 160 bits. */
export const ID_BYTES = 20;
export const ID_BITS = 160;

/** Map key of an id (hex), e.g. for dictionaries of nodes. */
export function idKey(id: Uint8Array): string {
  return toHex(id);
}

/** Number of leading bits `a` and `b` share (0..160). */
export function sharedPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
}

/** Sign of distance(target, a) - distance(target, b): negative when `a` is closer to `target`. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

/** XOR distance as bytes (for display and tests; comparisons use compareDistance). */
export function xorDistance(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BYTES; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * An id sharing exactly `prefixBits` leading bits with `self` (its next bit flipped, the rest from
 * `random`): a target inside bucket `prefixBits` for a refresh lookup. With 160 it is `self`.
 */
export function randomIdInBucket(self: Uint8Array, prefixBits: number, random: Uint8Array): Uint8Array {
  if (prefixBits >= ID_BITS) return self.slice();
  const out = random.slice(0, ID_BYTES);
  const byte = prefixBits >> 3;
  const bit = 7 - (prefixBits & 7);
  for (let i = 0; i < byte; i++) out[i] = self[i]!;
  const keepMask = (0xff << (bit + 1)) & 0xff;
  const flipped = (self[byte]! ^ (1 << bit)) & (keepMask | (1 << bit));
  out[byte] = flipped | (out[byte]! & ((1 << bit) - 1));
  return out;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1; // Castagnoli, reflected
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC32C_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** BEP 42: addresses in these ranges are exempt (local networks; every node there may pick any id). */
export function isBep42Exempt(ip: Uint8Array): boolean {
  const [a, b] = [ip[0]!, ip[1]!];
  return a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && (b & 0xf0) === 16) || (a === 192 && b === 168);
}

/**
 * BEP 42 node id for an external IPv4 address: the first 21 bits are crc32c((ip & 0x030f3fff) | r << 29),
 * the last byte is r (0..7 in its low bits). `random` supplies the other 19 bytes and r.
 */
export function bep42NodeId(ip: Uint8Array, random: Uint8Array): Uint8Array {
  const r = random[ID_BYTES - 1]! & 0x07;
  const masked = new Uint8Array([(ip[0]! & 0x03) | (r << 5), ip[1]! & 0x0f, ip[2]! & 0x3f, ip[3]! & 0xff]);
  const crc = crc32c(masked);
  const id = random.slice(0, ID_BYTES);
  id[0] = (crc >>> 24) & 0xff;
  id[1] = (crc >>> 16) & 0xff;
  id[2] = ((crc >>> 8) & 0xf8) | (id[2]! & 0x07);
  id[ID_BYTES - 1] = random[ID_BYTES - 1]!;
  return id;
}

/** Whether `id` satisfies BEP 42 for the IPv4 address `ip` (exempt addresses always do). */
export function isBep42Valid(id: Uint8Array, ip: Uint8Array): boolean {
  if (isBep42Exempt(ip)) return true;
  const expected = bep42NodeId(ip, id);
  return expected[0] === id[0] && expected[1] === id[1] && (expected[2]! & 0xf8) === (id[2]! & 0xf8);
}

/**
 * Our id at start: `fixed` when given; else the saved id, unless our external IPv4 address is known and
 * public and the saved id does not satisfy BEP 42 for it; else a fresh id (BEP 42 when the address is known
 * and public, random otherwise). `random` supplies 20 bytes.
 */
export function chooseNodeId(fixed: Uint8Array | undefined, saved: Uint8Array | undefined, externalIp: Uint8Array | undefined, random: Uint8Array): Uint8Array {
  if (fixed) return fixed;
  const publicIp = externalIp && !isBep42Exempt(externalIp) ? externalIp : undefined;
  if (saved && (!publicIp || isBep42Valid(saved, publicIp))) return saved;
  return publicIp ? bep42NodeId(publicIp, random) : random.slice(0, ID_BYTES);
}

/**
 * Our external address as nodes report it in the BEP 42 `ip` field: believed once `needed` reports agree.
 * Bounded: past 64 distinct answers the tally restarts (honest nodes agree, so it rebuilds fast).
 */
export class ExternalIpVotes {
  readonly #needed: number;
  readonly #votes = new Map<string, number>();
  current: string | undefined;

  constructor(needed: number, initial: string | undefined) {
    this.#needed = needed;
    this.current = initial;
  }

  /** Counts one report; true when it changed what we believe. */
  vote(ip: string): boolean {
    if (this.#votes.size > 64) this.#votes.clear();
    const votes = (this.#votes.get(ip) ?? 0) + 1;
    this.#votes.set(ip, votes);
    if (votes < this.#needed || ip === this.current) return false;
    this.current = ip;
    return true;
  }
}
