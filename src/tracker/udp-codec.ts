// UDP tracker protocol codec (BEP 15; BEP 7 IPv6 peers): encode and decode every packet in both directions,
// for our client and for tracker servers. Pure; no I/O. Decoders take hostile input and name the bad field.

import { decodeUtf8, formatIpv4, formatIpv6, mappedIpv6, parseIpv4, parseIpv6, TrackerError, type PeerAddress } from "../util/index.ts";
import type { AnnounceEvent } from "./http-codec.ts";

/** BEP 15: magic constant opening every connect request. */
export const UDP_PROTOCOL_ID = 0x41727101980n;
/** BEP 15 action numbers. */
export const UDP_ACTION = { connect: 0, announce: 1, scrape: 2, error: 3 } as const;
/** BEP 15 announce event numbers. */
export const UDP_EVENT = { none: 0, completed: 1, started: 2, stopped: 3 } as const;
/** BEP 15: "up to about 74 torrents can be scraped at once" (one packet under a typical MTU). */
export const UDP_MAX_SCRAPE_HASHES = 74;

export type UdpActionName = keyof typeof UDP_ACTION;
export type UdpEvent = (typeof UDP_EVENT)[keyof typeof UDP_EVENT];

export interface UdpConnectRequest { readonly transactionId: number }
export interface UdpConnectResponse { readonly transactionId: number; readonly connectionId: bigint }
export interface UdpAnnounceRequest {
  readonly connectionId: bigint;
  readonly transactionId: number;
  /** 20 raw bytes. */
  readonly infoHash: Uint8Array;
  /** 20 raw bytes. */
  readonly peerId: Uint8Array;
  readonly downloaded: bigint;
  readonly left: bigint;
  readonly uploaded: bigint;
  readonly event: UdpEvent;
  /** Dotted IPv4 the peer asks to be listed under; absent means "the packet's source" (0 on the wire). */
  readonly ip?: string;
  /** Unsigned 32-bit. */
  readonly key: number;
  /** -1 asks for the tracker's default. */
  readonly numWant: number;
  readonly port: number;
}
export interface UdpAnnounceResponse {
  readonly transactionId: number;
  readonly intervalSec: number;
  readonly leechers: number;
  readonly seeders: number;
  /** As on the wire: not deduplicated, port 0 kept (announceResponseFromUdp cleans them for the announcer). */
  readonly peers: PeerAddress[];
}
export interface UdpScrapeRequest { readonly connectionId: bigint; readonly transactionId: number; readonly infoHashes: Uint8Array[] }
export interface UdpScrapeEntry { readonly seeders: number; readonly completed: number; readonly leechers: number }
export interface UdpScrapeResponse { readonly transactionId: number; readonly entries: UdpScrapeEntry[] }
export interface UdpErrorResponse { readonly transactionId: number; readonly message: string }

/** A tracker-to-client packet, tagged by action. */
export type UdpResponse =
  | ({ readonly action: "connect" } & UdpConnectResponse)
  | ({ readonly action: "announce" } & UdpAnnounceResponse)
  | ({ readonly action: "scrape" } & UdpScrapeResponse)
  | ({ readonly action: "error" } & UdpErrorResponse);
/** A client-to-tracker packet, tagged by action. */
export type UdpRequest =
  | ({ readonly action: "connect" } & UdpConnectRequest)
  | ({ readonly action: "announce" } & UdpAnnounceRequest)
  | ({ readonly action: "scrape" } & UdpScrapeRequest);

const CONNECT_BYTES = 16; // BEP 15: both connect packets are 16 bytes
const ANNOUNCE_REQUEST_BYTES = 98; // BEP 15; BEP 41 options may follow and are ignored
const ANNOUNCE_RESPONSE_HEADER = 20;
const SCRAPE_REQUEST_HEADER = 16;
const REPLY_HEADER = 8; // action + transaction id
const HASH_BYTES = 20;
const SCRAPE_ENTRY_BYTES = 12;

export function encodeConnectRequest(r: UdpConnectRequest): Uint8Array {
  const [out, v] = alloc(CONNECT_BYTES);
  v.setBigUint64(0, UDP_PROTOCOL_ID);
  v.setUint32(8, UDP_ACTION.connect);
  v.setUint32(12, u32("transaction id", r.transactionId));
  return out;
}

export function decodeConnectRequest(b: Uint8Array): UdpConnectRequest {
  const v = check(b, "request", "connect", CONNECT_BYTES, 8);
  const magic = v.getBigUint64(0);
  if (magic !== UDP_PROTOCOL_ID) {
    throw new TrackerError(`udp tracker request: connect: protocol id 0x${magic.toString(16)}, expected 0x${UDP_PROTOCOL_ID.toString(16)}`);
  }
  return { transactionId: v.getUint32(12) };
}

export function encodeConnectResponse(r: UdpConnectResponse): Uint8Array {
  const [out, v] = header(CONNECT_BYTES, "connect", r.transactionId);
  v.setBigUint64(8, u64("connection id", r.connectionId));
  return out;
}

export function decodeConnectResponse(b: Uint8Array): UdpConnectResponse {
  const v = check(b, "reply", "connect", CONNECT_BYTES, 0);
  return { transactionId: v.getUint32(4), connectionId: v.getBigUint64(8) };
}

export function encodeAnnounceRequest(r: UdpAnnounceRequest): Uint8Array {
  const [out, v] = alloc(ANNOUNCE_REQUEST_BYTES);
  v.setBigUint64(0, u64("connection id", r.connectionId));
  v.setUint32(8, UDP_ACTION.announce);
  v.setUint32(12, u32("transaction id", r.transactionId));
  out.set(bytes20("info hash", r.infoHash), 16);
  out.set(bytes20("peer id", r.peerId), 36);
  v.setBigInt64(56, i64("downloaded", r.downloaded));
  v.setBigInt64(64, i64("left", r.left));
  v.setBigInt64(72, i64("uploaded", r.uploaded));
  v.setUint32(80, eventNumber(r.event));
  if (r.ip !== undefined) {
    const ip = parseIpv4(r.ip);
    if (!ip) throw new RangeError(`udp announce ip: expected a dotted IPv4 address, got ${r.ip}`);
    out.set(ip, 84);
  }
  v.setUint32(88, u32("key", r.key));
  v.setInt32(92, i32("num want", r.numWant));
  v.setUint16(96, u16("port", r.port));
  return out;
}

export function decodeAnnounceRequest(b: Uint8Array): UdpAnnounceRequest {
  const v = check(b, "request", "announce", ANNOUNCE_REQUEST_BYTES, 8);
  const event = v.getUint32(80);
  if (event > 3) throw new TrackerError(`udp tracker request: announce: event ${event}, expected 0-3`);
  const ip = v.getUint32(84);
  return {
    connectionId: v.getBigUint64(0),
    transactionId: v.getUint32(12),
    infoHash: b.slice(16, 36),
    peerId: b.slice(36, 56),
    downloaded: v.getBigInt64(56),
    left: v.getBigInt64(64),
    uploaded: v.getBigInt64(72),
    event: event as UdpEvent,
    ...(ip !== 0 && { ip: formatIpv4(b, 84) }),
    key: v.getUint32(88),
    numWant: v.getInt32(92),
    port: v.getUint16(96),
  };
}

/** `ipv6`: the reply goes out over IPv6, so peers are 18 bytes (BEP 15: the tracker's address family decides). */
export function encodeAnnounceResponse(r: UdpAnnounceResponse, ipv6 = false): Uint8Array {
  const entry = ipv6 ? 18 : 6;
  const [out, v] = header(ANNOUNCE_RESPONSE_HEADER + entry * r.peers.length, "announce", r.transactionId);
  v.setInt32(8, i32("interval", r.intervalSec));
  v.setInt32(12, i32("leechers", r.leechers));
  v.setInt32(16, i32("seeders", r.seeders));
  r.peers.forEach((p, i) => {
    const at = ANNOUNCE_RESPONSE_HEADER + i * entry;
    // An IPv4 peer in an IPv6 reply goes out IPv4-mapped; the other way round cannot be expressed.
    const v4 = parseIpv4(p.host);
    const addr = ipv6 ? (v4 ? mappedIpv6(v4) : parseIpv6(p.host)) : v4;
    if (!addr) throw new RangeError(`udp announce peer: expected an IPv${ipv6 ? 6 : 4} address, got ${p.host}`);
    out.set(addr, at);
    v.setUint16(at + entry - 2, u16("peer port", p.port));
  });
  return out;
}

/** `ipv6`: the reply came over IPv6, so peers are 18 bytes (BEP 15: the tracker's address family decides). */
export function decodeAnnounceResponse(b: Uint8Array, ipv6 = false): UdpAnnounceResponse {
  const v = check(b, "reply", "announce", ANNOUNCE_RESPONSE_HEADER, 0);
  const entry = ipv6 ? 18 : 6;
  const peerBytes = b.length - ANNOUNCE_RESPONSE_HEADER;
  if (peerBytes % entry !== 0) {
    throw new TrackerError(`udp tracker reply: announce: peers: ${peerBytes} bytes is not a multiple of ${entry}`);
  }
  const peers: PeerAddress[] = [];
  for (let at = ANNOUNCE_RESPONSE_HEADER; at < b.length; at += entry) {
    peers.push({ host: ipv6 ? formatIpv6(b, at) : formatIpv4(b, at), port: v.getUint16(at + entry - 2) });
  }
  return { transactionId: v.getUint32(4), intervalSec: v.getInt32(8), leechers: v.getInt32(12), seeders: v.getInt32(16), peers };
}

export function encodeScrapeRequest(r: UdpScrapeRequest): Uint8Array {
  if (r.infoHashes.length === 0 || r.infoHashes.length > UDP_MAX_SCRAPE_HASHES) {
    throw new RangeError(`udp scrape: expected 1-${UDP_MAX_SCRAPE_HASHES} info hashes, got ${r.infoHashes.length}`);
  }
  const [out, v] = alloc(SCRAPE_REQUEST_HEADER + HASH_BYTES * r.infoHashes.length);
  v.setBigUint64(0, u64("connection id", r.connectionId));
  v.setUint32(8, UDP_ACTION.scrape);
  v.setUint32(12, u32("transaction id", r.transactionId));
  r.infoHashes.forEach((h, i) => out.set(bytes20("info hash", h), SCRAPE_REQUEST_HEADER + i * HASH_BYTES));
  return out;
}

export function decodeScrapeRequest(b: Uint8Array): UdpScrapeRequest {
  const v = check(b, "request", "scrape", SCRAPE_REQUEST_HEADER + HASH_BYTES, 8);
  const hashBytes = b.length - SCRAPE_REQUEST_HEADER;
  if (hashBytes % HASH_BYTES !== 0) {
    throw new TrackerError(`udp tracker request: scrape: info hashes: ${hashBytes} bytes is not a multiple of ${HASH_BYTES}`);
  }
  const infoHashes: Uint8Array[] = [];
  for (let at = SCRAPE_REQUEST_HEADER; at < b.length; at += HASH_BYTES) infoHashes.push(b.slice(at, at + HASH_BYTES));
  return { connectionId: v.getBigUint64(0), transactionId: v.getUint32(12), infoHashes };
}

export function encodeScrapeResponse(r: UdpScrapeResponse): Uint8Array {
  const [out, v] = header(REPLY_HEADER + SCRAPE_ENTRY_BYTES * r.entries.length, "scrape", r.transactionId);
  r.entries.forEach((e, i) => {
    const at = REPLY_HEADER + i * SCRAPE_ENTRY_BYTES;
    v.setInt32(at, i32("seeders", e.seeders));
    v.setInt32(at + 4, i32("completed", e.completed));
    v.setInt32(at + 8, i32("leechers", e.leechers));
  });
  return out;
}

export function decodeScrapeResponse(b: Uint8Array): UdpScrapeResponse {
  const v = check(b, "reply", "scrape", REPLY_HEADER, 0);
  const entryBytes = b.length - REPLY_HEADER;
  if (entryBytes % SCRAPE_ENTRY_BYTES !== 0) {
    throw new TrackerError(`udp tracker reply: scrape: entries: ${entryBytes} bytes is not a multiple of ${SCRAPE_ENTRY_BYTES}`);
  }
  const entries: UdpScrapeEntry[] = [];
  for (let at = REPLY_HEADER; at < b.length; at += SCRAPE_ENTRY_BYTES) {
    entries.push({ seeders: v.getInt32(at), completed: v.getInt32(at + 4), leechers: v.getInt32(at + 8) });
  }
  return { transactionId: v.getUint32(4), entries };
}

export function encodeErrorResponse(r: UdpErrorResponse): Uint8Array {
  const text = new TextEncoder().encode(r.message);
  const [out] = header(REPLY_HEADER + text.length, "error", r.transactionId);
  out.set(text, REPLY_HEADER);
  return out;
}

/** The message is the raw rest of the packet (lenient UTF-8, trailing NULs cut); clean it before display. */
export function decodeErrorResponse(b: Uint8Array): UdpErrorResponse {
  const v = check(b, "reply", "error", REPLY_HEADER, 0);
  return { transactionId: v.getUint32(4), message: decodeUtf8(b.subarray(REPLY_HEADER)).replace(/\0+$/, "") };
}

/** Decodes any tracker-to-client packet by its action. `ipv6`: as for decodeAnnounceResponse. */
export function decodeUdpResponse(b: Uint8Array, ipv6 = false): UdpResponse {
  if (b.length < REPLY_HEADER) throw new TrackerError(`udp tracker reply: ${b.length} bytes, expected at least ${REPLY_HEADER}`);
  const action = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);
  switch (action) {
    case UDP_ACTION.connect: return { action: "connect", ...decodeConnectResponse(b) };
    case UDP_ACTION.announce: return { action: "announce", ...decodeAnnounceResponse(b, ipv6) };
    case UDP_ACTION.scrape: return { action: "scrape", ...decodeScrapeResponse(b) };
    case UDP_ACTION.error: return { action: "error", ...decodeErrorResponse(b) };
  }
  throw new TrackerError(`udp tracker reply: unknown action ${action}`);
}

/** Decodes any client-to-tracker packet by its action (what a tracker server reads). */
export function decodeUdpRequest(b: Uint8Array): UdpRequest {
  if (b.length < CONNECT_BYTES) throw new TrackerError(`udp tracker request: ${b.length} bytes, expected at least ${CONNECT_BYTES}`);
  const action = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(8);
  switch (action) {
    case UDP_ACTION.connect: return { action: "connect", ...decodeConnectRequest(b) };
    case UDP_ACTION.announce: return { action: "announce", ...decodeAnnounceRequest(b) };
    case UDP_ACTION.scrape: return { action: "scrape", ...decodeScrapeRequest(b) };
  }
  throw new TrackerError(`udp tracker request: unknown action ${action}`);
}

export function udpEventOf(event: AnnounceEvent | undefined): UdpEvent {
  return event === undefined ? UDP_EVENT.none : UDP_EVENT[event];
}

export function announceEventOf(event: UdpEvent): AnnounceEvent | undefined {
  return ([undefined, "completed", "started", "stopped"] as const)[event];
}

function alloc(length: number): [Uint8Array, DataView] {
  const out = new Uint8Array(length);
  return [out, new DataView(out.buffer)];
}

/** A reply buffer with its action and transaction id written. */
function header(length: number, action: UdpActionName, transactionId: number): [Uint8Array, DataView] {
  const [out, v] = alloc(length);
  v.setUint32(0, UDP_ACTION[action]);
  v.setUint32(4, u32("transaction id", transactionId));
  return [out, v];
}

/** Checks a packet's length and action field; `actionAt` is 0 in replies and 8 in requests. */
function check(b: Uint8Array, dir: "request" | "reply", name: UdpActionName, minBytes: number, actionAt: number): DataView {
  const where = `udp tracker ${dir}: ${name}`;
  if (b.length < minBytes) throw new TrackerError(`${where}: ${b.length} bytes, expected at least ${minBytes}`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const action = v.getUint32(actionAt);
  if (action !== UDP_ACTION[name]) throw new TrackerError(`${where}: action ${action}, expected ${UDP_ACTION[name]}`);
  return v;
}

// Encoder range checks: an out-of-range value is the caller's bug (DataView would silently wrap it).
function int(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`udp ${name}: expected an integer in [${min}, ${max}], got ${v}`);
  return v;
}
const u16 = (name: string, v: number) => int(name, v, 0, 0xffff);
const u32 = (name: string, v: number) => int(name, v, 0, 0xffff_ffff);
const i32 = (name: string, v: number) => int(name, v, -0x8000_0000, 0x7fff_ffff);
const eventNumber = (v: number) => int("event", v, 0, 3);

function big(name: string, v: bigint, signed: boolean): bigint {
  const [min, max] = signed ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
  if (v < min || v > max) throw new RangeError(`udp ${name}: expected a${signed ? " signed" : "n unsigned"} 64-bit value, got ${v}`);
  return v;
}
const u64 = (name: string, v: bigint) => big(name, v, false);
const i64 = (name: string, v: bigint) => big(name, v, true);

function bytes20(name: string, v: Uint8Array): Uint8Array {
  if (v.length !== HASH_BYTES) throw new RangeError(`udp ${name}: expected ${HASH_BYTES} bytes, got ${v.length}`);
  return v;
}
