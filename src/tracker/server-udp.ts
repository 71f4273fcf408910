// Tracker server side of the UDP tracker protocol (BEP 15): one datagram in, at most one reply out, over
// the shared swarm store. Pure; no I/O: the shell passes the secret, `nowMs` and the source address.
// Connection ids are not stored: each is an HMAC of (secret, client ip, client port, 2-minute time bucket).

import { TrackerError, errorMessage } from "../util/index.ts";
import {
  UDP_ACTION,
  UDP_EVENT,
  UDP_MAX_SCRAPE_HASHES,
  UDP_PROTOCOL_ID,
  decodeAnnounceRequest,
  decodeScrapeRequest,
  encodeAnnounceResponse,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeResponse,
  type UdpEvent,
} from "./udp-codec.ts";
import type { IpAddress } from "./server-ip.ts";
import { DEFAULT_NUMWANT, type SwarmEvent, type TrackerSwarm } from "./server-swarm.ts";

/** BEP 15: clients may use an id for 1 minute, trackers accept it for 2; current + previous bucket = 2-4 min. */
export const CONNECTION_ID_BUCKET_MS = 120_000;
/** BEP 15: every request starts with connection id (8), action (4), transaction id (4). */
const MIN_REQUEST_BYTES = 16;
/** Largest signed 32-bit value: counts in replies are int32 (BEP 15). */
const MAX_I32 = 0x7fff_ffff;

export interface UdpTrackerContext {
  readonly swarm: TrackerSwarm;
  /** Random bytes drawn once per server start; ids from an earlier run are refused. */
  readonly secret: Uint8Array;
  readonly intervalSec: number;
}

/** Where a datagram came from (and where the reply goes). */
export interface UdpSource {
  readonly ip: IpAddress;
  readonly port: number;
}

/** What the shell sends back and counts. `ignored`: no reply (too short to answer, or not BEP 15 at all). */
export interface UdpOutcome {
  readonly kind: "connect" | "announce" | "scrape" | "error" | "ignored";
  readonly reply?: Uint8Array;
  /** Why the request was refused or ignored, for the debug log. */
  readonly problem?: string;
}

/** The connection id the tracker hands `from` in time bucket `bucket` (deterministic for the secret). */
export function connectionIdFor(secret: Uint8Array, from: UdpSource, bucket: number): bigint {
  const hmac = new Bun.CryptoHasher("sha1", secret);
  const tail = new Uint8Array(10);
  const view = new DataView(tail.buffer);
  view.setUint16(0, from.port);
  view.setBigUint64(2, BigInt(bucket));
  hmac.update(from.ip.bytes);
  hmac.update(tail);
  const digest = new Uint8Array(hmac.digest().buffer);
  return new DataView(digest.buffer).getBigUint64(0);
}

/** Accepts ids of the current and the previous bucket. */
export function isValidConnectionId(secret: Uint8Array, from: UdpSource, id: bigint, nowMs: number): boolean {
  const bucket = Math.floor(nowMs / CONNECTION_ID_BUCKET_MS);
  return id === connectionIdFor(secret, from, bucket) || id === connectionIdFor(secret, from, bucket - 1);
}

/** Handles one datagram; never throws on hostile input (a bug in here still throws, for the shell to log). */
export function handleUdpDatagram(ctx: UdpTrackerContext, datagram: Uint8Array, from: UdpSource, nowMs: number): UdpOutcome {
  if (datagram.length < MIN_REQUEST_BYTES) return { kind: "ignored", problem: `${datagram.length}-byte datagram` };
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const action = view.getUint32(8);
  const transactionId = view.getUint32(12);
  const fail = (message: string): UdpOutcome => ({ kind: "error", reply: encodeErrorResponse({ transactionId, message }), problem: message });
  try {
    if (action === UDP_ACTION.connect) {
      // Without the magic it is not a BEP 15 client; silence gives a spoofed source nothing to reflect.
      if (view.getBigUint64(0) !== UDP_PROTOCOL_ID) return { kind: "ignored", problem: "connect without the BEP 15 protocol id" };
      const connectionId = connectionIdFor(ctx.secret, from, Math.floor(nowMs / CONNECTION_ID_BUCKET_MS));
      return { kind: "connect", reply: encodeConnectResponse({ transactionId, connectionId }) };
    }
    // Checked before anything else is read: only a source that completed a connect gets more than this.
    if (!isValidConnectionId(ctx.secret, from, view.getBigUint64(0), nowMs)) return fail("bad connection id");
    if (action === UDP_ACTION.announce) return announce(ctx, datagram, from, nowMs);
    if (action === UDP_ACTION.scrape) return scrape(ctx, datagram, nowMs);
    return fail(`unknown action ${action}`);
  } catch (err) {
    if (err instanceof TrackerError) return fail(errorMessage(err).replace(/^udp tracker request: /, ""));
    throw err;
  }
}

function announce(ctx: UdpTrackerContext, datagram: Uint8Array, from: UdpSource, nowMs: number): UdpOutcome {
  const req = decodeAnnounceRequest(datagram);
  const fail = (message: string): UdpOutcome => ({ kind: "error", reply: encodeErrorResponse({ transactionId: req.transactionId, message }), problem: message });
  if (req.port === 0) return fail("invalid port: expected an integer from 1 to 65535, got 0");
  if (req.left < 0n) return fail(`invalid left: expected a non-negative integer, got ${req.left}`);
  const event = SWARM_EVENT[req.event];
  // The `ip` field is ignored like HTTP's `ip` parameter: peers are listed at their source address.
  const result = ctx.swarm.announce(
    {
      infoHash: req.infoHash,
      peerId: req.peerId,
      ip: from.ip,
      port: req.port,
      left: Number(req.left),
      ...(event !== undefined && { event }),
      numWant: req.numWant < 0 ? DEFAULT_NUMWANT : req.numWant,
    },
    nowMs,
  );
  if ("failure" in result) return fail(result.failure);
  // BEP 15: the reply's address family is the socket's; an IPv4 reply cannot carry IPv6 peers.
  const ipv6 = from.ip.bytes.length === 16;
  const peers = result.peers.filter((p) => ipv6 || p.ip.bytes.length === 4).map((p) => ({ host: p.ip.text, port: p.port }));
  const reply = encodeAnnounceResponse(
    {
      transactionId: req.transactionId,
      intervalSec: ctx.intervalSec,
      leechers: Math.min(result.incomplete, MAX_I32),
      seeders: Math.min(result.complete, MAX_I32),
      peers,
    },
    ipv6,
  );
  return { kind: "announce", reply };
}

function scrape(ctx: UdpTrackerContext, datagram: Uint8Array, nowMs: number): UdpOutcome {
  const req = decodeScrapeRequest(datagram);
  if (req.infoHashes.length > UDP_MAX_SCRAPE_HASHES) {
    const message = `invalid info_hash: at most ${UDP_MAX_SCRAPE_HASHES} per scrape, got ${req.infoHashes.length}`;
    return { kind: "error", reply: encodeErrorResponse({ transactionId: req.transactionId, message }), problem: message };
  }
  // Entries follow the request's order; a hash the allow-list refuses reads as an empty swarm.
  const entries = req.infoHashes.map((h) => {
    const c = ctx.swarm.scrape(h, nowMs) ?? { complete: 0, incomplete: 0, downloaded: 0 };
    return { seeders: Math.min(c.complete, MAX_I32), completed: Math.min(c.downloaded, MAX_I32), leechers: Math.min(c.incomplete, MAX_I32) };
  });
  return { kind: "scrape", reply: encodeScrapeResponse({ transactionId: req.transactionId, entries }) };
}

const SWARM_EVENT: Record<UdpEvent, SwarmEvent | undefined> = {
  [UDP_EVENT.none]: undefined,
  [UDP_EVENT.completed]: "completed",
  [UDP_EVENT.started]: "started",
  [UDP_EVENT.stopped]: "stopped",
};
