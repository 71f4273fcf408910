// Magnet links (BEP 9): parse `magnet:?xt=urn:btih:...` (and BEP 52's `urn:btmh:1220...`, alone or
// beside btih in a hybrid link) into plain data and format it back; BEP 53 `so` file selection. Pure; no I/O, no DNS. Every error is a MetainfoError whose `field` names the part
// ("magnet.xt") and whose message starts with it.

import { parseInfoDictionary } from "./parse.ts";
import type { Metainfo } from "./types.ts";
import { MetainfoError, decodeUtf8, decodeUtf8Strict, formatPeerAddress, fromHex, parsePeerAddress, toHex, type PeerAddress } from "../util/index.ts";

/** What a magnet link holds. The info dict itself must be fetched from peers (BEP 9 ut_metadata). */
export interface Magnet {
  /** The v1 info hash (btih), or for a v2-only link the v2 hash truncated to 20 bytes (BEP 52). */
  infoHash: Uint8Array;
  infoHashHex: string;
  /** BEP 52 `xt=urn:btmh:1220<hex>`: the 32-byte SHA-256 info hash. */
  infoHashV2?: Uint8Array;
  infoHashV2Hex?: string;
  /** The link has a btmh and no btih (a v2-only torrent). */
  v2Only: boolean;
  /** `dn`: a display name until the metadata (whose `name` wins) arrives. */
  name?: string;
  /** `tr`, in link order, repeats dropped. */
  trackers: string[];
  /** `x.pe`: peers to dial directly (host may be a name, an IPv4 or an IPv6 literal). */
  peers: PeerAddress[];
  /** `ws`: BEP 19 web seeds. */
  webSeeds: string[];
  /** `so` (BEP 53): file indices to download, ascending, no repeats. Absent means all files. */
  select?: number[];
  /** `xl`: the exact total length in bytes. */
  lengthBytes?: number;
}

/** What formatMagnet needs: a Magnet, or just an infoHash and whichever parts are known. */
export interface MagnetParts {
  /** The 20-byte v1 hash, written as btih unless `v2Only`. */
  infoHash?: Uint8Array;
  /** The 32-byte v2 hash, written as btmh (multihash 0x12 0x20). */
  infoHashV2?: Uint8Array;
  v2Only?: boolean;
  name?: string;
  trackers?: readonly string[];
  peers?: readonly PeerAddress[];
  webSeeds?: readonly string[];
  select?: readonly number[];
  lengthBytes?: number;
}

/** BEP 53 ranges expand to at most this many indices (a "0-999999999" must not allocate a billion numbers). */
export const MAX_MAGNET_SELECTED_FILES = 1 << 20;

const PREFIX = /^magnet:\?/i;
const BTIH = /^urn:btih:/i;
const BTMH = /^urn:btmh:/i;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const encoder = new TextEncoder();

/** Whether `text` looks like a magnet link (it starts with "magnet:?"); says nothing about its validity. */
export function isMagnetUri(text: string): boolean {
  return PREFIX.test(text.trim());
}

function fail(part: string, detail: string): never {
  const field = part === "" ? "magnet" : `magnet.${part}`;
  throw new MetainfoError(field, `${field}: ${detail}`);
}

/** Quoted text for messages, cut short so a pasted megabyte does not end up in one line. */
function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}...` : text);
}

/**
 * Parses a magnet link. Percent-escapes decode as UTF-8 everywhere (RFC 3986); `+` is a space only in
 * `dn` (as HTML forms and most clients write names) and literal elsewhere, where a URL may hold a real
 * `+`. Repeated parameters and the numbered form (`tr.1`, `xt.2`) are both accepted; unknown parameters
 * are ignored. A malformed known part is refused, not dropped, so a mangled link is noticed.
 */
export function parseMagnet(uri: string): Magnet {
  const text = uri.trim();
  if (!PREFIX.test(text)) fail("", `expected a link starting with "magnet:?", got ${quote(text)}`);
  const params = new Map<string, string[]>();
  for (const pair of text.slice("magnet:?".length).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    // A parameter without "=" carries nothing we could use.
    if (eq < 0) continue;
    const key = pair.slice(0, eq).toLowerCase().replace(/\.\d+$/, "");
    const list = params.get(key) ?? [];
    list.push(pair.slice(eq + 1));
    params.set(key, list);
  }
  const values = (key: string): string[] => (params.get(key) ?? []).map((raw) => decodeText(raw, key));

  const xts = values("xt");
  if (xts.length === 0) fail("xt", "missing: a magnet link needs xt=urn:btih:<info hash> or xt=urn:btmh:1220<v2 info hash>");
  const infoHashV2 = readInfoHashV2(xts);
  const v1 = readInfoHash(xts, infoHashV2 !== undefined);
  const infoHash = v1 ?? infoHashV2!.slice(0, 20);
  const name = (params.get("dn") ?? []).map((raw) => decodeText(raw, "dn", true)).find((n) => n !== "");
  const lengthBytes = readLength(values("xl"));
  const select = readSelection(values("so"));
  return {
    infoHash,
    infoHashHex: toHex(infoHash),
    ...(infoHashV2 !== undefined && { infoHashV2, infoHashV2Hex: toHex(infoHashV2) }),
    v2Only: v1 === undefined,
    ...(name !== undefined && { name }),
    trackers: distinct(values("tr")),
    peers: values("x.pe").map(readPeer),
    webSeeds: distinct(values("ws")),
    ...(select !== undefined && { select }),
    ...(lengthBytes !== undefined && { lengthBytes }),
  };
}

/** Percent-decodes one value to text. `dn` is only a hint, so invalid UTF-8 there becomes U+FFFD. */
function decodeText(raw: string, key: string, isName = false): string {
  const source = isName ? raw.replaceAll("+", " ") : raw;
  const bytes: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch !== "%") {
      const code = ch.charCodeAt(0);
      if (code < 0x80) bytes.push(code);
      else {
        // A raw non-ASCII character (a browser may hand one over): take its UTF-8 bytes, pairs included.
        const cp = source.codePointAt(i)!;
        const char = String.fromCodePoint(cp);
        bytes.push(...encoder.encode(char));
        i += char.length - 1;
      }
      continue;
    }
    const hex = source.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail(key, `bad percent-escape ${quote(source.slice(i, i + 3))} in ${quote(raw)}`);
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  const array = new Uint8Array(bytes);
  if (isName) return decodeUtf8(array);
  const decoded = decodeUtf8Strict(array);
  if (decoded === undefined) fail(key, `expected UTF-8 text after percent-decoding, got invalid bytes in ${quote(raw)}`);
  return decoded.trim();
}

/** The btih hash, if any; without one, a btmh (`haveV2`) must stand in. */
function readInfoHash(xts: string[], haveV2: boolean): Uint8Array | undefined {
  const hashes = new Map<string, Uint8Array>();
  for (const xt of xts) {
    if (!BTIH.test(xt)) continue;
    const hash = decodeInfoHash(xt.slice("urn:btih:".length));
    if (hash === undefined) fail("xt", `expected urn:btih:<40 hex or 32 base32>, got ${quote(xt)}`);
    hashes.set(toHex(hash), hash);
  }
  if (hashes.size > 1) fail("xt", `expected exactly one urn:btih info hash, got ${hashes.size}: ${[...hashes.keys()].join(", ")}`);
  const [only] = hashes.values();
  if (only !== undefined || haveV2) return only;
  return fail("xt", `expected urn:btih:<40 hex or 32 base32> or urn:btmh:1220<64 hex>, got ${quote(xts[0]!)}`);
}

/** BEP 52: `urn:btmh:` and a multihash, which must be SHA-256 (code 0x12, length 0x20) in hex. */
function readInfoHashV2(xts: string[]): Uint8Array | undefined {
  const hashes = new Map<string, Uint8Array>();
  for (const xt of xts) {
    if (!BTMH.test(xt)) continue;
    const text = xt.slice("urn:btmh:".length);
    const hash = /^1220[0-9a-f]{64}$/i.test(text) ? fromHex(text.slice(4)) : undefined;
    if (hash === undefined) fail("xt", `expected urn:btmh:1220<64 hex> (a SHA-256 multihash), got ${quote(xt)}`);
    hashes.set(toHex(hash), hash);
  }
  if (hashes.size > 1) fail("xt", `expected exactly one urn:btmh info hash, got ${hashes.size}: ${[...hashes.keys()].join(", ")}`);
  const [only] = hashes.values();
  return only;
}

/** 40 hex digits, or 32 RFC 4648 base32 characters (20 bytes exactly, no padding); either case. */
function decodeInfoHash(text: string): Uint8Array | undefined {
  if (text.length === 40) return fromHex(text);
  if (text.length !== 32) return undefined;
  const out = new Uint8Array(20);
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (const ch of text.toUpperCase()) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return undefined;
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

function readLength(values: string[]): number | undefined {
  const text = values[0];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) fail("xl", `expected a byte count (digits only), got ${quote(text)}`);
  return n;
}

/** BEP 53: "0,2,4-6" -> [0, 2, 4, 5, 6]; several `so` parameters add up. */
function readSelection(values: string[]): number[] | undefined {
  if (values.length === 0) return undefined;
  const selected = new Set<number>();
  for (const value of values) {
    for (const item of value.split(",")) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(item.trim());
      const first = Number(m?.[1]);
      const last = m?.[2] === undefined ? first : Number(m[2]);
      if (!m || !Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) {
        fail("so", `expected file indices and ranges like "0,2,4-6", got ${quote(item)} in ${quote(value)}`);
      }
      if (last - first + 1 + selected.size > MAX_MAGNET_SELECTED_FILES) {
        fail("so", `selects more than ${MAX_MAGNET_SELECTED_FILES} files (${quote(item)})`);
      }
      for (let i = first; i <= last; i++) selected.add(i);
    }
  }
  return [...selected].sort((a, b) => a - b);
}

function readPeer(text: string): PeerAddress {
  try {
    return parsePeerAddress(text);
  } catch {
    // parsePeerAddress speaks of command-line usage; the magnet's own wording follows.
    return fail("x.pe", `expected HOST:PORT or [IPV6]:PORT with a port in 1-65535, got ${quote(text)}`);
  }
}

function distinct(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ""))];
}

/** Percent-encodes a query value, leaving the characters RFC 3986 allows there readable (":", "/", "@", ","). */
function encodeValue(text: string): string {
  return encodeURIComponent(text).replace(/%(3A|2F|40|2C|3F|24)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** BEP 53 text for a selection: [0, 2, 4, 5, 6] -> "0,2,4-6". */
export function formatSelection(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** Formats a magnet link that parseMagnet reads back to the same parts (hashes as lowercase hex; btih, then btmh). */
export function formatMagnet(m: MagnetParts): string {
  const params: string[] = [];
  if (m.infoHash !== undefined && !m.v2Only) {
    if (m.infoHash.length !== 20) throw new RangeError(`info hash must be 20 bytes, got ${m.infoHash.length}`);
    params.push(`xt=urn:btih:${toHex(m.infoHash)}`);
  }
  if (m.infoHashV2 !== undefined) {
    if (m.infoHashV2.length !== 32) throw new RangeError(`v2 info hash must be 32 bytes, got ${m.infoHashV2.length}`);
    params.push(`xt=urn:btmh:1220${toHex(m.infoHashV2)}`);
  }
  if (params.length === 0) throw new RangeError("a magnet link needs a v1 info hash or a v2 info hash");
  if (m.name !== undefined && m.name !== "") params.push(`dn=${encodeValue(m.name)}`);
  if (m.lengthBytes !== undefined) params.push(`xl=${m.lengthBytes}`);
  for (const tr of m.trackers ?? []) params.push(`tr=${encodeValue(tr)}`);
  for (const ws of m.webSeeds ?? []) params.push(`ws=${encodeValue(ws)}`);
  for (const pe of m.peers ?? []) params.push(`x.pe=${encodeValue(formatPeerAddress(pe))}`);
  if (m.select !== undefined && m.select.length > 0) params.push(`so=${formatSelection(m.select)}`);
  return `magnet:?${params.join("&")}`;
}

/**
 * A magnet's torrent once its info dictionary is known (fetched from peers, or saved by a daemon): the
 * magnet's trackers one tier each, its `dn` and `ws`, and the files its `so` selects (in range).
 */
export function magnetMetainfo(
  magnet: Magnet,
  infoBytes: Uint8Array,
  pieceLayers?: ReadonlyMap<string, Uint8Array>,
): { meta: Metainfo; select?: number[] } {
  const bare = parseInfoDictionary(infoBytes, {
    announceTiers: magnet.trackers.map((url) => [url]),
    ...(magnet.name !== undefined && { name: magnet.name }),
    urlList: magnet.webSeeds,
  });
  // BEP 52: the piece layers a v2-only torrent's .torrent would carry, fetched by hash requests.
  const meta = pieceLayers && bare.v2 ? { ...bare, v2: { ...bare.v2, pieceLayers } } : bare;
  return { meta, ...(magnet.select && { select: magnet.select.filter((i) => i < meta.files.length) }) };
}
