// BEP 6 allowed fast sets that we give: the canonical set of pieces a choked peer may still request from
// us (generated from its address and the info hash), and the greeting that sends it. Pure but for the
// sends on the peer's connection.

import { parseIpv4, parseIpv6, sha1 } from "../util/index.ts";
import { encodeMessage, type Bitfield } from "../wire/index.ts";
import type { PeerState } from "./peer-state.ts";

/** BEP 6 suggests 10. */
export const ALLOWED_FAST_COUNT = 10;

/** How many pieces to allow: 10, but at most half of a small torrent (so choking still means something). */
export function allowedFastCount(pieceCount: number): number {
  return Math.min(ALLOWED_FAST_COUNT, Math.floor(pieceCount / 2));
}

/**
 * BEP 6 canonical allowed fast set: x = (ip & 0xffffff00) + infoHash; repeatedly x = SHA1(x), each 4-byte
 * word of it modulo `pieceCount` is a piece, until `k` distinct ones. `ip` is 4 bytes (IPv4); for IPv6
 * (which BEP 6 does not cover) the /64 prefix stands in for the /24.
 */
export function allowedFastSet(k: number, pieceCount: number, infoHash: Uint8Array, ip: Uint8Array): number[] {
  const count = Math.min(k, pieceCount);
  const masked = ip.length === 4 ? new Uint8Array([ip[0]!, ip[1]!, ip[2]!, 0]) : new Uint8Array(16).map((_, i) => (i < 8 ? ip[i]! : 0));
  let x = new Uint8Array([...masked, ...infoHash]);
  const set: number[] = [];
  while (set.length < count) {
    x = new Uint8Array(sha1(x));
    const view = new DataView(x.buffer, x.byteOffset, x.byteLength);
    for (let i = 0; i < 5 && set.length < count; i++) {
      const index = view.getUint32(4 * i) % pieceCount;
      if (!set.includes(index)) set.push(index);
    }
  }
  return set;
}

/** A peer's address as allowedFastSet takes it (an IPv4-mapped IPv6 address as IPv4); undefined for a host name. */
export function addressBytes(host: string): Uint8Array | undefined {
  const v4 = parseIpv4(host);
  if (v4) return v4;
  const v6 = parseIpv6(host);
  if (!v6) return undefined;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

/**
 * What a new peer hears first: our pieces (have_all / have_none to fast peers, else a bitfield unless
 * empty) and, to fast peers, its allowed fast set (recorded so its requests for them are served while choked).
 */
export function greetPeer(peer: PeerState, have: Bitfield, infoHash: Uint8Array): void {
  const { conn } = peer;
  if (peer.fast && have.isFull()) conn.send(encodeMessage({ type: "have_all" }));
  else if (peer.fast && have.isEmpty()) conn.send(encodeMessage({ type: "have_none" }));
  else if (!have.isEmpty()) conn.send(encodeMessage({ type: "bitfield", bytes: have.toBytes() }));
  const ip = peer.fast ? addressBytes(conn.address.host) : undefined;
  if (ip === undefined) return;
  for (const index of allowedFastSet(allowedFastCount(have.length), have.length, infoHash, ip)) {
    peer.allowedFastGiven.add(index);
    conn.send(encodeMessage({ type: "allowed_fast", index }));
  }
}
