// Fuzz targets for the tracker codecs: HTTP announce replies, every BEP 15 UDP packet in both directions,
// the tracker server's announce/scrape query parsers. Pure; run by decoders.test.ts and scripts/fuzz.ts.

import fc from "fast-check";
import { decodeBencode, encodeBencode } from "../../src/bencode/index.ts";
import {
  type UdpRequest,
  type UdpResponse,
  buildAnnounceUrl,
  decodeUdpRequest,
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  parseAnnounceQuery,
  parseAnnounceResponse,
  parseScrapeQuery,
} from "../../src/tracker/index.ts";
import { TrackerError, concatBytes, formatIpv4 } from "../../src/util/index.ts";
import { expectEqual, expectOnly, hostileBencode, hostileBytes, mutatedText, target } from "../helpers/fuzz.ts";

const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u32 = fc.nat().map((n) => n >>> 0);
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

/** Distinct compact IPv4 peers that a reply keeps: no port 0, no 0.0.0.0. */
const compactPeers = fc.uniqueArray(fc.tuple(bytesOf(4), fc.integer({ min: 1, max: 65535 })), { maxLength: 20, selector: ([a, p]) => `${a}|${p}` }).map((list) =>
  list.map(([addr, port]) => ({ host: formatIpv4(addr.every((b) => b === 0) ? Uint8Array.of(10, 0, 0, 1) : addr), port })),
);
const compact = (peers: { host: string; port: number }[]) =>
  concatBytes(peers.map((p) => Uint8Array.of(...p.host.split(".").map(Number), p.port >> 8, p.port & 0xff)));

const announceReply = fc.record({
  interval: fc.integer({ min: 30, max: 86_400 }),
  complete: fc.nat(),
  incomplete: fc.nat(),
  peers: compactPeers,
  dictPeers: fc.boolean(),
});
type AnnounceReply = typeof announceReply extends fc.Arbitrary<infer T> ? T : never;
function encodeReply(x: AnnounceReply): Uint8Array {
  return encodeBencode({
    interval: x.interval,
    complete: x.complete,
    incomplete: x.incomplete,
    peers: x.dictPeers ? x.peers.map((p) => ({ ip: p.host, port: p.port })) : compact(x.peers),
    "min interval": 60,
    "tracker id": "t1",
    "warning message": "w",
    peers6: new Uint8Array(0),
  });
}

const udpResponse: fc.Arbitrary<UdpResponse> = fc.oneof(
  fc.record({ action: fc.constant("connect" as const), transactionId: u32, connectionId: u64 }),
  fc.record({ action: fc.constant("announce" as const), transactionId: u32, intervalSec: i32, leechers: i32, seeders: i32, peers: compactPeers }),
  fc.record({ action: fc.constant("scrape" as const), transactionId: u32, entries: fc.array(fc.record({ seeders: i32, completed: i32, leechers: i32 }), { maxLength: 5 }) }),
  // The message is display text: the decoder cuts trailing NULs, so none are generated.
  fc.record({ action: fc.constant("error" as const), transactionId: u32, message: fc.string({ unit: "binary", maxLength: 40 }).map((m) => m.replace(/\0+$/, "")) }),
);
const udpRequest: fc.Arbitrary<UdpRequest> = fc.oneof(
  fc.record({ action: fc.constant("connect" as const), transactionId: u32 }),
  fc.record(
    {
      action: fc.constant("announce" as const),
      connectionId: u64,
      transactionId: u32,
      infoHash: bytesOf(20),
      peerId: bytesOf(20),
      downloaded: i64,
      left: i64,
      uploaded: i64,
      event: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
      ip: fc.ipV4().filter((ip) => ip !== "0.0.0.0"),
      key: u32,
      numWant: i32,
      port: fc.integer({ min: 0, max: 65535 }),
    },
    { requiredKeys: ["action", "connectionId", "transactionId", "infoHash", "peerId", "downloaded", "left", "uploaded", "event", "key", "numWant", "port"] },
  ),
  fc.record({ action: fc.constant("scrape" as const), connectionId: u64, transactionId: u32, infoHashes: fc.array(bytesOf(20), { minLength: 1, maxLength: 74 }) }),
);

function encodeUdpResponse(r: UdpResponse): Uint8Array {
  if (r.action === "connect") return encodeConnectResponse(r);
  if (r.action === "announce") return encodeAnnounceResponse(r);
  if (r.action === "scrape") return encodeScrapeResponse(r);
  return encodeErrorResponse(r);
}

function encodeUdpRequest(r: UdpRequest): Uint8Array {
  if (r.action === "connect") return encodeConnectRequest(r);
  if (r.action === "announce") return encodeAnnounceRequest(r);
  return encodeScrapeRequest(r);
}

const announceParams = fc.record(
  {
    infoHash: bytesOf(20),
    peerId: bytesOf(20),
    port: fc.integer({ min: 1, max: 65535 }),
    uploaded: fc.maxSafeNat(),
    downloaded: fc.maxSafeNat(),
    left: fc.maxSafeNat(),
    event: fc.constantFrom("started" as const, "completed" as const, "stopped" as const),
    numWant: fc.nat({ max: 10_000 }),
    key: fc.string({ maxLength: 8 }),
    compact: fc.constant(true as const),
  },
  { requiredKeys: ["infoHash", "peerId", "port", "uploaded", "downloaded", "left", "compact"] },
);
const queryOf = (url: string) => url.slice(url.indexOf("?") + 1);
const validQuery = announceParams.map((p) => queryOf(buildAnnounceUrl("http://127.0.0.1/announce", p)));
const queryAlphabet = fc.constantFrom(..."%&=+0123456789abcdefABCDEF_xyz\u00ff\u0100\u{1f600}");
const hostileQuery = fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), validQuery, mutatedText(validQuery, queryAlphabet));

export const trackerTargets = [
  target("parseAnnounceResponse throws only TrackerError", hostileBencode(announceReply.map((r) => decodeBencode(encodeReply(r)))), (body) => {
    expectOnly([TrackerError], () => parseAnnounceResponse(body));
  }),

  target("announce reply -> parseAnnounceResponse gives its fields and peers", announceReply, (r) => {
    const parsed = parseAnnounceResponse(encodeReply(r));
    expectEqual([parsed.intervalSec, parsed.complete, parsed.incomplete, parsed.peers], [r.interval, r.complete, r.incomplete, r.peers], "parsed");
  }),

  target("decodeUdpResponse throws only TrackerError", fc.tuple(hostileBytes(udpResponse.map(encodeUdpResponse), 200), fc.boolean()), ([b, ipv6]) => {
    expectOnly([TrackerError], () => decodeUdpResponse(b, ipv6));
  }),

  target("UDP responses encode -> decode round-trip", udpResponse, (r) => {
    expectEqual(decodeUdpResponse(encodeUdpResponse(r)), r, "decoded");
  }),

  target("decodeUdpRequest throws only TrackerError", hostileBytes(udpRequest.map(encodeUdpRequest), 200), (b) => {
    expectOnly([TrackerError], () => decodeUdpRequest(b));
  }),

  target("UDP requests encode -> decode round-trip", udpRequest, (r) => {
    expectEqual(decodeUdpRequest(encodeUdpRequest(r)), r, "decoded");
  }),

  target("parseAnnounceQuery and parseScrapeQuery never throw", hostileQuery, (query) => {
    const announce = expectOnly([], () => parseAnnounceQuery(query))!;
    const scrape = expectOnly([], () => parseScrapeQuery(query))!;
    for (const r of [announce, scrape]) if (!r.ok && typeof r.failure !== "string") throw new Error("failure without a reason");
  }),

  target("buildAnnounceUrl -> parseAnnounceQuery round-trips", announceParams, (p) => {
    const parsed = parseAnnounceQuery(queryOf(buildAnnounceUrl("http://127.0.0.1/announce?passkey=x", p)));
    if (!parsed.ok) throw new Error(`refused: ${parsed.failure}`);
    const { infoHash, peerId, port, uploaded, downloaded, left, event, numWant } = parsed.value;
    const expected = { infoHash: p.infoHash, peerId: p.peerId, port: p.port, uploaded: p.uploaded, downloaded: p.downloaded, left: p.left, event: p.event, numWant: p.numWant ?? 50 };
    expectEqual({ infoHash, peerId, port, uploaded, downloaded, left, event, numWant }, expected, "parsed");
  }),
];
