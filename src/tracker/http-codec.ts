// HTTP tracker announce codec: builds announce URLs and parses replies (BEP 3, BEP 23 compact peers,
// BEP 7 peers6). Pure; no I/O. Replies are hostile input: every field is type-checked and named in errors.

import {
  LIMITS,
  TrackerError,
  decodeUtf8,
  formatIpv4,
  formatIpv6,
  isValidPort,
  percentEncodeBytes,
  type PeerAddress,
} from "../util/index.ts";
import { bytesToText, decodeBencode, describeValue, isBytes, isDict, type BencodeValue } from "../bencode/index.ts";

export type AnnounceEvent = "started" | "completed" | "stopped";

export interface AnnounceParams {
  /** 20 raw bytes. */
  readonly infoHash: Uint8Array;
  /** 20 raw bytes. */
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly event?: AnnounceEvent;
  readonly numWant?: number;
  /** Hex text identifying us across IP changes (sent as `key`). */
  readonly key?: string;
  /** The `tracker id` this tracker gave us before, echoed back as `trackerid` (BEP 3). */
  readonly trackerId?: Uint8Array;
  /** BEP 7: our IPv6 address, for a tracker we reach over IPv4 (the port is `port`). */
  readonly ipv6?: string;
  readonly compact: true;
}

/** A validated announce reply. */
export interface AnnounceResponse {
  /** Seconds until the next regular announce, clamped to [MIN_INTERVAL_SEC, MAX_INTERVAL_SEC]. */
  readonly intervalSec: number;
  /** Seconds the tracker wants between any two announces, same clamp; absent when the tracker gave none. */
  readonly minIntervalSec?: number;
  readonly trackerId?: Uint8Array;
  readonly warning?: string;
  /** Seeders, as the tracker counts them. */
  readonly complete?: number;
  /** Leechers, as the tracker counts them. */
  readonly incomplete?: number;
  /** Deduplicated, at most MAX_PEERS_PER_REPLY, never port 0. */
  readonly peers: PeerAddress[];
}

/** Used when a reply has no `interval` (BEP 3 makes it mandatory; some trackers omit it anyway). */
export const DEFAULT_INTERVAL_SEC = 1800;
/** We never re-announce more often than this, whatever a tracker says (protects trackers from our bugs). */
export const MIN_INTERVAL_SEC = 30;
/** The tracker's `min interval` is honoured down to this (it only bounds how soon we may ask again). */
export const MIN_MIN_INTERVAL_SEC = 5;
/** A tracker asking for more than a day is broken; waiting that long would lose the swarm. */
export const MAX_INTERVAL_SEC = 86_400;
/** Peers taken from one reply; the rest are dropped so one tracker cannot flood the peer pool. */
export const MAX_PEERS_PER_REPLY = LIMITS.peersPerTrackerReply;
/** Tracker-supplied text (failure reason, warning) is cut to this many characters before display. */
export const MAX_TRACKER_TEXT_CHARS = 300;

const COMPACT_V4_BYTES = 6; // BEP 23: 4-byte IPv4 address + 2-byte big-endian port
const COMPACT_V6_BYTES = 18; // BEP 7: 16-byte IPv6 address + 2-byte big-endian port

/**
 * Appends the announce query to a tracker URL. An existing query (private trackers put `?passkey=...` in
 * the URL) is kept and extended with `&`; info_hash and peer_id are percent-encoded as raw bytes.
 */
export function buildAnnounceUrl(announceUrl: string, params: AnnounceParams): string {
  const hash = announceUrl.indexOf("#");
  const base = hash >= 0 ? announceUrl.slice(0, hash) : announceUrl; // fragments are never sent
  const parts = [
    `info_hash=${percentEncodeBytes(params.infoHash)}`,
    `peer_id=${percentEncodeBytes(params.peerId)}`,
    `port=${count("port", params.port)}`,
    `uploaded=${count("uploaded", params.uploaded)}`,
    `downloaded=${count("downloaded", params.downloaded)}`,
    `left=${count("left", params.left)}`,
    "compact=1", // BEP 23
    "no_peer_id=1", // BEP 3: ignored when compact, asked for trackers that fall back to dict peers
  ];
  if (params.event !== undefined) parts.push(`event=${params.event}`);
  if (params.numWant !== undefined) parts.push(`numwant=${count("numwant", params.numWant)}`);
  if (params.key !== undefined) parts.push(`key=${encodeURIComponent(params.key)}`);
  if (params.trackerId !== undefined) parts.push(`trackerid=${percentEncodeBytes(params.trackerId)}`);
  if (params.ipv6 !== undefined) parts.push(`ipv6=${encodeURIComponent(params.ipv6)}`);
  const sep = !base.includes("?") ? "?" : base.endsWith("?") || base.endsWith("&") ? "" : "&";
  return base + sep + parts.join("&");
}

function count(name: string, value: number): string {
  // A negative or fractional count is a caller bug, not a tracker problem.
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`announce ${name}: expected a non-negative integer, got ${value}`);
  return String(value);
}

/** Parses an announce reply body; throws TrackerError for `failure reason` and for malformed replies. */
export function parseAnnounceResponse(body: Uint8Array): AnnounceResponse {
  let root: BencodeValue;
  try {
    root = decodeBencode(body);
  } catch (err) {
    throw new TrackerError(`tracker reply: not valid bencode: ${(err as Error).message}`, { cause: err });
  }
  if (!isDict(root)) throw new TrackerError(`tracker reply: expected a dictionary, got ${describeValue(root)}`);

  const failure = root.get("failure reason");
  if (failure !== undefined) {
    if (!isBytes(failure)) throw fieldError("failure reason", "a byte string", failure);
    throw new TrackerError(`tracker failure: ${cleanText(failure)}`);
  }

  const warningValue = root.get("warning message");
  if (warningValue !== undefined && !isBytes(warningValue)) throw fieldError("warning message", "a byte string", warningValue);
  const trackerId = root.get("tracker id");
  if (trackerId !== undefined && !isBytes(trackerId)) throw fieldError("tracker id", "a byte string", trackerId);

  const collector = new PeerCollector();
  const peers = root.get("peers");
  if (isBytes(peers)) readCompact(peers, COMPACT_V4_BYTES, "peers", collector);
  else if (Array.isArray(peers)) readDictPeers(peers, collector);
  // A missing list is read as "no peers": some trackers leave it out of empty replies.
  else if (peers !== undefined) throw fieldError("peers", "a byte string or a list", peers);
  const peers6 = root.get("peers6");
  if (isBytes(peers6)) readCompact(peers6, COMPACT_V6_BYTES, "peers6", collector);
  else if (peers6 !== undefined) throw fieldError("peers6", "a byte string", peers6);

  const minIntervalSec = optionalInterval(root.get("min interval"), "min interval", MIN_MIN_INTERVAL_SEC);
  const complete = optionalCount(root.get("complete"), "complete");
  const incomplete = optionalCount(root.get("incomplete"), "incomplete");
  return {
    intervalSec: optionalInterval(root.get("interval"), "interval") ?? DEFAULT_INTERVAL_SEC,
    ...(minIntervalSec !== undefined && { minIntervalSec }),
    ...(trackerId !== undefined && trackerId.length > 0 && { trackerId }),
    ...(warningValue !== undefined && { warning: cleanText(warningValue) }),
    ...(complete !== undefined && { complete }),
    ...(incomplete !== undefined && { incomplete }),
    peers: collector.peers,
  };
}

function fieldError(field: string, expected: string, got: BencodeValue): TrackerError {
  return new TrackerError(`tracker reply: ${field}: expected ${expected}, got ${describeValue(got)}`);
}

function optionalInterval(v: BencodeValue | undefined, field: string, floorSec = MIN_INTERVAL_SEC): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" && typeof v !== "bigint") throw fieldError(field, "an integer", v);
  // Clamped rather than rejected: the peers in the reply are still good when the interval is silly.
  if (v < floorSec) return floorSec;
  if (v > MAX_INTERVAL_SEC) return MAX_INTERVAL_SEC;
  return Number(v);
}

function optionalCount(v: BencodeValue | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || v < 0) throw fieldError(field, "a non-negative integer", v);
  return v;
}

/** Tracker text is shown on one terminal line: no control characters, bounded length. */
function cleanText(bytes: Uint8Array): string {
  const text = decodeUtf8(bytes).replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return text.length > MAX_TRACKER_TEXT_CHARS ? text.slice(0, MAX_TRACKER_TEXT_CHARS) + "..." : text;
}

/** Gathers peers up to the cap, skipping duplicates and unusable entries. */
class PeerCollector {
  readonly peers: PeerAddress[] = [];
  readonly #seen = new Set<string>();

  get full(): boolean {
    return this.peers.length >= MAX_PEERS_PER_REPLY;
  }

  add(host: string, port: number): void {
    // Port 0 cannot be dialled; an unspecified address means the tracker did not know the peer's address.
    if (this.full || !isValidPort(port) || host === "0.0.0.0" || host === "::") return;
    const key = `${host}|${port}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.peers.push({ host, port });
  }
}

function readCompact(bytes: Uint8Array, entryBytes: number, field: string, out: PeerCollector): void {
  if (bytes.length % entryBytes !== 0) {
    throw new TrackerError(`tracker reply: ${field}: compact length ${bytes.length} is not a multiple of ${entryBytes}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off < bytes.length && !out.full; off += entryBytes) {
    const addrBytes = entryBytes - 2;
    const host = addrBytes === 4 ? formatIpv4(bytes, off) : formatIpv6(bytes, off);
    out.add(host, view.getUint16(off + addrBytes));
  }
}

function readDictPeers(list: BencodeValue[], out: PeerCollector): void {
  for (const entry of list) {
    if (out.full) return;
    // Bad entries are skipped, not fatal: the rest of the list is still useful.
    if (!isDict(entry)) continue;
    const host = normalizeHost(bytesToText(entry.get("ip")));
    const port = entry.get("port");
    if (host === undefined || typeof port !== "number") continue;
    out.add(host, port);
  }
}

const IPV4_TEXT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6_TEXT = /^[0-9a-fA-F:.]+$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** BEP 3 dict peers give an IPv4, IPv6 or DNS name as text; anything else is dropped. */
function normalizeHost(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v4 = IPV4_TEXT.exec(bare);
  if (v4) return v4.slice(1).every((n) => Number(n) <= 255) ? v4.slice(1).map(Number).join(".") : undefined;
  if (bare.includes(":")) return IPV6_TEXT.test(bare) && bare.length <= 45 ? bare.toLowerCase() : undefined;
  return HOST_NAME.test(bare) && !/^[\d.]+$/.test(bare) ? bare.toLowerCase() : undefined;
}
