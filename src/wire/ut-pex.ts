// ut_pex (BEP 11): peer exchange messages, compact IPv4/IPv6 peer lists with per-peer flags.
// Pure; no I/O, no DNS. These are extended-message payloads; frame them with encodeExtendedMessage(peerId, ...).

import { type BencodeDict, type BencodeValue, decodeBencode, encodeBencode, isBytes, isDict } from "../bencode/index.ts";
import {
  LIMITS,
  WireError,
  errorMessage,
  formatIpv4,
  formatIpv6,
  parseIpv4,
  parseIpv6,
  type PeerAddress,
} from "../util/index.ts";

/** BEP 11 flag: the peer prefers encrypted connections. */
export const PEX_FLAG_PREFERS_ENCRYPTION = 0x01;
/** BEP 11 flag: the peer is a seed (upload only). */
export const PEX_FLAG_SEED = 0x02;
/** BEP 11 flag: the peer supports uTP. */
export const PEX_FLAG_UTP = 0x04;
/** BEP 11 flag: the peer supports ut_holepunch. */
export const PEX_FLAG_HOLEPUNCH = 0x08;
/** BEP 11 flag: the sender connected out to the peer, so it is reachable. */
export const PEX_FLAG_REACHABLE = 0x10;

/**
 * At most this many added, and this many dropped, peers per message (IPv4 and IPv6 together): the limit
 * the uTorrent and Vuze developers agreed on and libtorrent follows. Decoding uses the first ones only.
 */
export const MAX_PEX_PEERS = LIMITS.pexPeersPerMessage;

/** A peer from an `added` list, with its BEP 11 flags (0 when the sender gave none). */
export interface PexPeer extends PeerAddress {
  readonly flags: number;
}

/** A decoded ut_pex message: IPv4 peers first, then IPv6; each list capped at MAX_PEX_PEERS. */
export interface PexMessage {
  added: PexPeer[];
  dropped: PeerAddress[];
}

/** What encodePex takes: addresses with optional flags. Only IPv4 and IPv6 literals can travel. */
export interface PexInput {
  added?: readonly (PeerAddress & { readonly flags?: number })[];
  dropped?: readonly PeerAddress[];
}

const V4_ENTRY = 6;
const V6_ENTRY = 18;

function compactList(dict: BencodeDict, key: string, entry: number): Uint8Array {
  const v: BencodeValue | undefined = dict.get(key);
  if (v === undefined) return new Uint8Array(0);
  if (!isBytes(v)) throw new WireError(`ut_pex ${key} is not a byte string`);
  if (v.length % entry !== 0) throw new WireError(`ut_pex ${key} has ${v.length} bytes, not a multiple of ${entry}`);
  return v;
}

/** Flags for `count` peers; a flags string of the wrong length or type is ignored (flags are only hints). */
function flagsFor(dict: BencodeDict, key: string, count: number): Uint8Array {
  const v = dict.get(key);
  return isBytes(v) && v.length === count ? v : new Uint8Array(count);
}

/** Reads up to `room` peers from a compact list, skipping port 0, unspecified addresses and repeats. */
function readPeers(list: Uint8Array, entry: number, flags: Uint8Array, room: number, seen: Set<string>, out: PexPeer[]): void {
  const view = new DataView(list.buffer, list.byteOffset, list.byteLength);
  for (let i = 0, at = 0; at < list.length && out.length < room; i++, at += entry) {
    const addrLength = entry - 2;
    const port = view.getUint16(at + addrLength);
    if (port === 0 || list.subarray(at, at + addrLength).every((b) => b === 0)) continue;
    const host = addrLength === 4 ? formatIpv4(list, at) : formatIpv6(list, at);
    const key = `${host}|${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ host, port, flags: flags[i]! });
  }
}

/**
 * Decodes a ut_pex payload. Throws WireError when it is not a bencoded dictionary or a peer list is not a
 * byte string of whole entries; peers past MAX_PEX_PEERS are ignored.
 */
export function decodePex(payload: Uint8Array): PexMessage {
  let value: BencodeValue;
  try {
    value = decodeBencode(payload);
  } catch (err) {
    throw new WireError(`ut_pex message is not valid bencode: ${errorMessage(err)}`, { cause: err });
  }
  if (!isDict(value)) throw new WireError("ut_pex message is not a dictionary");
  const added4 = compactList(value, "added", V4_ENTRY);
  const added6 = compactList(value, "added6", V6_ENTRY);
  const dropped4 = compactList(value, "dropped", V4_ENTRY);
  const dropped6 = compactList(value, "dropped6", V6_ENTRY);
  const added: PexPeer[] = [];
  const seenAdded = new Set<string>();
  readPeers(added4, V4_ENTRY, flagsFor(value, "added.f", added4.length / V4_ENTRY), MAX_PEX_PEERS, seenAdded, added);
  readPeers(added6, V6_ENTRY, flagsFor(value, "added6.f", added6.length / V6_ENTRY), MAX_PEX_PEERS, seenAdded, added);
  const dropped: PexPeer[] = [];
  const seenDropped = new Set<string>();
  readPeers(dropped4, V4_ENTRY, new Uint8Array(dropped4.length / V4_ENTRY), MAX_PEX_PEERS, seenDropped, dropped);
  readPeers(dropped6, V6_ENTRY, new Uint8Array(dropped6.length / V6_ENTRY), MAX_PEX_PEERS, seenDropped, dropped);
  return { added, dropped: dropped.map(({ host, port }) => ({ host, port })) };
}

/** 4 bytes for an IPv4 literal (an IPv4-mapped IPv6 one included), 16 for other IPv6, else undefined. */
function addressBytes(host: string): Uint8Array | undefined {
  const v4 = parseIpv4(host);
  if (v4) return v4;
  const v6 = parseIpv6(host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);
  if (!v6) return undefined;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

/** Compact lists of the literal addresses in `peers`: at most MAX_PEX_PEERS in all; host names are skipped. */
function compact(peers: readonly (PeerAddress & { readonly flags?: number })[]) {
  const v4: number[] = [];
  const v6: number[] = [];
  const f4: number[] = [];
  const f6: number[] = [];
  let count = 0;
  for (const p of peers) {
    if (count >= MAX_PEX_PEERS) break;
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new RangeError(`peer port out of range: ${p.port}`);
    const bytes = addressBytes(p.host);
    if (!bytes) continue;
    const [list, flags] = bytes.length === 4 ? [v4, f4] : [v6, f6];
    list.push(...bytes, p.port >> 8, p.port & 0xff);
    flags.push((p.flags ?? 0) & 0xff);
    count++;
  }
  return { v4: new Uint8Array(v4), v6: new Uint8Array(v6), f4: new Uint8Array(f4), f6: new Uint8Array(f6) };
}

/**
 * Encodes a ut_pex payload with all six lists (empty ones too, as libtorrent sends them). Only the first
 * MAX_PEX_PEERS literal addresses of each of `added` and `dropped` are used: send the rest later.
 */
export function encodePex(msg: PexInput): Uint8Array {
  const added = compact(msg.added ?? []);
  const dropped = compact(msg.dropped ?? []);
  return encodeBencode({
    added: added.v4,
    "added.f": added.f4,
    added6: added.v6,
    "added6.f": added.f6,
    dropped: dropped.v4,
    dropped6: dropped.v6,
  });
}
