// Tracker server side of HTTP announce and scrape: byte-exact query parsing and bencoded replies (BEP 3,
// BEP 23 compact peers, BEP 7 peers6, BEP 48 scrape). Pure; no I/O. Queries are hostile input.
// The `ip` parameter is ignored: peers are listed at the request's source address, as opentracker does.

import { concatBytes, utf8 } from "../util/index.ts";
import { encodeBencode, type EncodableValue } from "../bencode/index.ts";
import { DEFAULT_NUMWANT, type SwarmCounts, type SwarmEvent, type SwarmPeer } from "./server-swarm.ts";

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: string };

export interface HttpAnnounceRequest {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  /** Undefined when the client did not send `left` (counted as a leecher). */
  readonly left: number | undefined;
  readonly event?: SwarmEvent;
  readonly numWant: number;
  /** BEP 23: compact unless the client sent compact=0. */
  readonly compact: boolean;
  /** Leave `peer id` out of dictionary peers (BEP 3 no_peer_id=1). */
  readonly noPeerId: boolean;
}

export interface AnnounceReply extends SwarmCounts {
  readonly intervalSec: number;
  readonly minIntervalSec?: number;
  readonly peers: readonly SwarmPeer[];
  readonly compact: boolean;
  readonly noPeerId: boolean;
}

/** Hashes in one HTTP scrape; more is refused rather than answered with an unbounded reply. */
export const MAX_SCRAPE_HASHES = 100;
const HASH_BYTES = 20;
/** Byte counts fit in 20 digits (u64); longer numbers are refused before they are parsed. */
const MAX_NUMBER_DIGITS = 20;

/**
 * Splits a raw query (without `?`) into names and byte values. Percent-escapes become single bytes and
 * other characters their char code, never via URLSearchParams (which would UTF-8-decode info_hash);
 * `+` stays a literal byte (RFC 3986). Fails naming the parameter whose encoding is broken.
 */
export function parseQuery(query: string): ParseResult<Map<string, Uint8Array[]>> {
  const out = new Map<string, Uint8Array[]>();
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const nameBytes = percentDecode(rawName);
    const name = nameBytes === undefined ? undefined : latin1(nameBytes);
    if (name === undefined) return { ok: false, failure: `invalid query: bad percent-encoding in a parameter name` };
    const value = percentDecode(eq < 0 ? "" : part.slice(eq + 1));
    if (value === undefined) return { ok: false, failure: `invalid ${printable(name)}: bad percent-encoding` };
    const list = out.get(name);
    if (list === undefined) out.set(name, [value]);
    else list.push(value);
  }
  return { ok: true, value: out };
}

function percentDecode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      out[n++] = parseInt(hex, 16);
      i += 2;
    } else {
      if (c > 0xff) return undefined; // a raw byte of the request line is at most 0xff
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

/** Validates an announce query; a failure names the field, for a bencoded `failure reason`. */
export function parseAnnounceQuery(query: string): ParseResult<HttpAnnounceRequest> {
  const parsed = parseQuery(query);
  if (!parsed.ok) return parsed;
  const q = parsed.value;
  const first = (name: string) => q.get(name)?.[0];
  try {
    const infoHash = requireHash(first("info_hash"), "info_hash");
    const peerId = requireHash(first("peer_id"), "peer_id");
    const port = readInteger(first("port"), "port");
    if (port === undefined) throw new FieldError("missing port");
    if (port < 1 || port > 65535) throw new FieldError(`invalid port: expected an integer from 1 to 65535, got ${port}`);
    const event = readEvent(first("event"));
    const numWant = readInteger(first("numwant"), "numwant") ?? DEFAULT_NUMWANT;
    const compactValue = first("compact");
    const noPeerIdValue = first("no_peer_id");
    return {
      ok: true,
      value: {
        infoHash,
        peerId,
        port,
        uploaded: readInteger(first("uploaded"), "uploaded") ?? 0,
        downloaded: readInteger(first("downloaded"), "downloaded") ?? 0,
        left: readInteger(first("left"), "left"),
        ...(event !== undefined && { event }),
        numWant,
        compact: !(compactValue !== undefined && compactValue.length === 1 && compactValue[0] === 0x30),
        noPeerId: noPeerIdValue !== undefined && noPeerIdValue.length === 1 && noPeerIdValue[0] === 0x31,
      },
    };
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, failure: err.message };
    throw err;
  }
}

/** The info_hash values of a scrape query (at least one, at most MAX_SCRAPE_HASHES, duplicates dropped). */
export function parseScrapeQuery(query: string): ParseResult<Uint8Array[]> {
  const parsed = parseQuery(query);
  if (!parsed.ok) return parsed;
  const values = parsed.value.get("info_hash") ?? [];
  // A full scrape (no info_hash) would list every torrent: refused, the tracker is for known swarms only.
  if (values.length === 0) return { ok: false, failure: "missing info_hash (full scrape is not supported)" };
  if (values.length > MAX_SCRAPE_HASHES) {
    return { ok: false, failure: `invalid info_hash: at most ${MAX_SCRAPE_HASHES} per scrape, got ${values.length}` };
  }
  const seen = new Set<string>();
  const hashes: Uint8Array[] = [];
  for (const v of values) {
    if (v.length !== HASH_BYTES) return { ok: false, failure: `invalid info_hash: expected 20 bytes, got ${v.length}` };
    const key = latin1(v);
    if (seen.has(key)) continue;
    seen.add(key);
    hashes.push(v);
  }
  return { ok: true, value: hashes };
}

class FieldError extends Error {}

/** One char per byte (U+0000-U+00FF), at any length; TextDecoder("latin1") is really windows-1252. */
function latin1(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

function requireHash(value: Uint8Array | undefined, field: string): Uint8Array {
  if (value === undefined) throw new FieldError(`missing ${field}`);
  if (value.length !== HASH_BYTES) throw new FieldError(`invalid ${field}: expected 20 bytes, got ${value.length}`);
  return value;
}

function readInteger(value: Uint8Array | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const text = latin1(value.subarray(0, MAX_NUMBER_DIGITS + 1));
  if (!/^\d+$/.test(text) || value.length > MAX_NUMBER_DIGITS) {
    throw new FieldError(`invalid ${field}: expected a non-negative integer, got "${printable(text)}"`);
  }
  // Above 2^53 precision is lost; only `left === 0` and small values (port, numwant) matter here.
  return Number(text);
}

function readEvent(value: Uint8Array | undefined): SwarmEvent | undefined {
  if (value === undefined || value.length === 0) return undefined;
  const text = latin1(value.subarray(0, 16));
  if (text === "started" || text === "completed" || text === "stopped" || text === "paused") return text;
  throw new FieldError(`invalid event: expected started, completed, stopped or empty, got "${printable(text)}"`);
}

/** Client text echoed in a failure reason: printable ASCII only, short. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, "?").replace(/"/g, "'");
  return clean.length > 40 ? clean.slice(0, 40) + "..." : clean;
}

/** `d14:failure reason<len>:<reason>e` (BEP 3); HTTP status stays 200 so clients read it. */
export function encodeFailureReply(reason: string): Uint8Array {
  return encodeBencode({ "failure reason": reason });
}

/** An announce reply: compact `peers`/`peers6` (BEP 23/7) or a list of dictionaries when compact=0. */
export function encodeAnnounceReply(reply: AnnounceReply): Uint8Array {
  const dict: Record<string, EncodableValue> = {
    interval: reply.intervalSec,
    complete: reply.complete,
    incomplete: reply.incomplete,
    downloaded: reply.downloaded,
  };
  if (reply.minIntervalSec !== undefined) dict["min interval"] = reply.minIntervalSec;
  if (reply.compact) {
    const v4 = reply.peers.filter((p) => p.ip.bytes.length === 4);
    const v6 = reply.peers.filter((p) => p.ip.bytes.length === 16);
    dict.peers = compactPeers(v4);
    if (v6.length > 0) dict.peers6 = compactPeers(v6);
  } else {
    dict.peers = reply.peers.map((p) => ({
      ip: p.ip.text,
      port: p.port,
      ...(!reply.noPeerId && { "peer id": p.peerId }),
    }));
  }
  return encodeBencode(dict);
}

/** BEP 23 / BEP 7: address bytes then a big-endian port, per peer. */
export function compactPeers(peers: readonly SwarmPeer[]): Uint8Array {
  return concatBytes(peers.map((p) => concatBytes([p.ip.bytes, new Uint8Array([p.port >> 8, p.port & 0xff])])));
}

/**
 * A scrape reply (BEP 48): `files` maps each raw 20-byte infoHash to its counts. Written by hand because
 * the keys are binary and must be sorted as bytes, which the bencode package does not do for byte keys.
 */
export function encodeScrapeReply(files: readonly { readonly infoHash: Uint8Array; readonly counts: SwarmCounts }[]): Uint8Array {
  const sorted = [...files].sort((a, b) => compareBytes(a.infoHash, b.infoHash));
  const parts: Uint8Array[] = [utf8("d5:filesd")];
  for (const f of sorted) {
    parts.push(utf8(`${f.infoHash.length}:`), f.infoHash);
    parts.push(encodeBencode({ complete: f.counts.complete, downloaded: f.counts.downloaded, incomplete: f.counts.incomplete }));
  }
  parts.push(utf8("ee"));
  return concatBytes(parts);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
