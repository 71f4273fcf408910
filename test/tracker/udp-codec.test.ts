// Tests for the UDP tracker codec (BEP 15, BEP 7 IPv6 peers): golden bytes for every packet in both
// directions, the action dispatchers, short and malformed packets, and the IP text helpers. Pure.

import { describe, expect, test } from "bun:test";
import { TrackerError, fromHex, toHex, utf8 } from "../../src/util/index.ts";
import {
  UDP_ACTION,
  UDP_EVENT,
  UDP_PROTOCOL_ID,
  announceEventOf,
  decodeAnnounceRequest,
  decodeAnnounceResponse,
  decodeConnectRequest,
  decodeConnectResponse,
  decodeErrorResponse,
  decodeScrapeRequest,
  decodeScrapeResponse,
  decodeUdpRequest,
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  udpEventOf,
  type UdpAnnounceRequest,
  type UdpAnnounceResponse,
} from "../../src/tracker/index.ts";
import { parseIpv4, parseIpv6 } from "../../src/util/index.ts";

const hex = (s: string) => fromHex(s.replace(/\s+/g, ""))!;
const CONN = 0x1122334455667788n;
const TID = 0xdeadbeef;
const infoHash = new Uint8Array(20).map((_, i) => i);
const peerId = utf8("-RP0100-abcdefghijkl");

function trackerError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TrackerError);
    return (err as Error).message;
  }
  throw new Error("expected a TrackerError");
}

const connectRequest = hex("00000417 27101980  00000000  01020304");
const connectResponse = hex("00000000  01020304  1122334455667788");
const announce: UdpAnnounceRequest = {
  connectionId: CONN, transactionId: TID, infoHash, peerId,
  downloaded: 24n, left: 976n, uploaded: 1n, event: UDP_EVENT.started,
  key: 0x0a1b2c3d, numWant: 50, port: 6881,
};
const announceRequest = hex(`1122334455667788 00000001 deadbeef
  000102030405060708090a0b0c0d0e0f10111213 ${toHex(peerId)}
  0000000000000018 00000000000003d0 0000000000000001
  00000002 00000000 0a1b2c3d 00000032 1ae1`);
const reply: UdpAnnounceResponse = {
  transactionId: TID, intervalSec: 1800, leechers: 4, seeders: 3,
  peers: [{ host: "127.0.0.1", port: 6001 }, { host: "10.0.0.2", port: 51413 }],
};
const announceResponse = hex("00000001 deadbeef 00000708 00000004 00000003  7f000001 1771  0a000002 c8d5");
const reply6: UdpAnnounceResponse = { ...reply, peers: [{ host: "2001:db8::1", port: 6881 }, { host: "127.0.0.1", port: 6001 }] };
const announceResponse6 = hex(`00000001 deadbeef 00000708 00000004 00000003
  20010db8000000000000000000000001 1ae1  00000000000000000000ffff7f000001 1771`);
const scrapeRequest = hex(`1122334455667788 00000002 deadbeef ${"aa".repeat(20)} ${"bb".repeat(20)}`);
const scrapeResponse = hex("00000002 deadbeef  00000005 0000000a 00000002  00000000 00000000 00000000");
const errorResponse = hex(`00000003 deadbeef ${toHex(utf8("not registered"))}`);

describe("golden bytes, both ways", () => {
  test("constants", () => {
    expect(UDP_PROTOCOL_ID).toBe(0x41727101980n);
    expect(UDP_ACTION).toEqual({ connect: 0, announce: 1, scrape: 2, error: 3 });
    expect(UDP_EVENT).toEqual({ none: 0, completed: 1, started: 2, stopped: 3 });
  });

  test("connect request and response", () => {
    expect(encodeConnectRequest({ transactionId: 0x01020304 })).toEqual(connectRequest);
    expect(decodeConnectRequest(connectRequest)).toEqual({ transactionId: 0x01020304 });
    expect(encodeConnectResponse({ transactionId: 0x01020304, connectionId: CONN })).toEqual(connectResponse);
    expect(decodeConnectResponse(connectResponse)).toEqual({ transactionId: 0x01020304, connectionId: CONN });
  });

  test("announce request (98 bytes; ip 0 means the source address)", () => {
    expect(announceRequest).toHaveLength(98);
    expect(encodeAnnounceRequest(announce)).toEqual(announceRequest);
    expect(decodeAnnounceRequest(announceRequest)).toEqual(announce);
    const withIp = encodeAnnounceRequest({ ...announce, ip: "10.1.2.3", numWant: -1, event: UDP_EVENT.none });
    expect(toHex(withIp.subarray(80, 96))).toBe("00000000" + "0a010203" + "0a1b2c3d" + "ffffffff");
    expect(decodeAnnounceRequest(withIp)).toMatchObject({ ip: "10.1.2.3", numWant: -1, event: 0 });
  });

  test("announce request: trailing BEP 41 option bytes are ignored", () => {
    const extended = new Uint8Array([...announceRequest, 0x02, 0x05, ...utf8("/x?ab"), 0x00]);
    expect(decodeAnnounceRequest(extended)).toEqual(announce);
  });

  test("64-bit counters use the full range", () => {
    const big = { ...announce, downloaded: 2n ** 62n + 5n, left: 0n, uploaded: 2n ** 63n - 1n, connectionId: 2n ** 64n - 1n };
    expect(decodeAnnounceRequest(encodeAnnounceRequest(big))).toEqual(big);
  });

  test("announce response with IPv4 peers (6 bytes each)", () => {
    expect(encodeAnnounceResponse(reply)).toEqual(announceResponse);
    expect(decodeAnnounceResponse(announceResponse)).toEqual(reply);
    expect(decodeAnnounceResponse(announceResponse.subarray(0, 20))).toEqual({ ...reply, peers: [] });
  });

  test("announce response over IPv6: 18-byte peers, IPv4 peers travel IPv4-mapped (BEP 7)", () => {
    expect(encodeAnnounceResponse(reply6, true)).toEqual(announceResponse6);
    expect(decodeAnnounceResponse(announceResponse6, true)).toEqual(reply6);
    expect(decodeUdpResponse(announceResponse6, true)).toEqual({ action: "announce", ...reply6 });
  });

  test("scrape request and response", () => {
    const req = { connectionId: CONN, transactionId: TID, infoHashes: [new Uint8Array(20).fill(0xaa), new Uint8Array(20).fill(0xbb)] };
    expect(encodeScrapeRequest(req)).toEqual(scrapeRequest);
    expect(decodeScrapeRequest(scrapeRequest)).toEqual(req);
    const res = { transactionId: TID, entries: [{ seeders: 5, completed: 10, leechers: 2 }, { seeders: 0, completed: 0, leechers: 0 }] };
    expect(encodeScrapeResponse(res)).toEqual(scrapeResponse);
    expect(decodeScrapeResponse(scrapeResponse)).toEqual(res);
  });

  test("error response; trailing NULs are cut", () => {
    expect(encodeErrorResponse({ transactionId: TID, message: "not registered" })).toEqual(errorResponse);
    expect(decodeErrorResponse(errorResponse)).toEqual({ transactionId: TID, message: "not registered" });
    expect(decodeErrorResponse(new Uint8Array([...errorResponse, 0, 0])).message).toBe("not registered");
    expect(decodeErrorResponse(errorResponse.subarray(0, 8)).message).toBe("");
  });

  test("dispatchers tag each packet by action", () => {
    expect(decodeUdpResponse(connectResponse)).toEqual({ action: "connect", transactionId: 0x01020304, connectionId: CONN });
    expect(decodeUdpResponse(announceResponse)).toEqual({ action: "announce", ...reply });
    expect(decodeUdpResponse(scrapeResponse).action).toBe("scrape");
    expect(decodeUdpResponse(errorResponse)).toEqual({ action: "error", transactionId: TID, message: "not registered" });
    expect(decodeUdpRequest(connectRequest)).toEqual({ action: "connect", transactionId: 0x01020304 });
    expect(decodeUdpRequest(announceRequest)).toEqual({ action: "announce", ...announce });
    expect(decodeUdpRequest(scrapeRequest).action).toBe("scrape");
  });

  test("event numbers map to BEP 3 events and back", () => {
    for (const e of ["started", "completed", "stopped", undefined] as const) expect(announceEventOf(udpEventOf(e))).toBe(e);
    expect(udpEventOf("stopped")).toBe(3);
  });
});

describe("short and malformed packets", () => {
  const cases: [string, () => unknown, string][] = [
    ["short announce reply", () => decodeAnnounceResponse(announceResponse.subarray(0, 13)), "udp tracker reply: announce: 13 bytes, expected at least 20"],
    ["short connect reply", () => decodeConnectResponse(connectResponse.subarray(0, 12)), "udp tracker reply: connect: 12 bytes, expected at least 16"],
    ["short scrape reply", () => decodeScrapeResponse(scrapeResponse.subarray(0, 7)), "udp tracker reply: scrape: 7 bytes, expected at least 8"],
    ["short error reply", () => decodeErrorResponse(errorResponse.subarray(0, 5)), "udp tracker reply: error: 5 bytes, expected at least 8"],
    ["short reply to the dispatcher", () => decodeUdpResponse(new Uint8Array(3)), "udp tracker reply: 3 bytes, expected at least 8"],
    ["unknown reply action", () => decodeUdpResponse(hex("00000009 00000000")), "udp tracker reply: unknown action 9"],
    ["connect reply decoded as announce", () => decodeAnnounceResponse(new Uint8Array([...connectResponse, 0, 0, 0, 0])), "udp tracker reply: announce: action 0, expected 1"],
    ["partial IPv4 peer", () => decodeAnnounceResponse(announceResponse.subarray(0, 31)), "udp tracker reply: announce: peers: 11 bytes is not a multiple of 6"],
    ["IPv4 peers read as IPv6", () => decodeAnnounceResponse(announceResponse, true), "udp tracker reply: announce: peers: 12 bytes is not a multiple of 18"],
    ["partial scrape entry", () => decodeScrapeResponse(scrapeResponse.subarray(0, 30)), "udp tracker reply: scrape: entries: 22 bytes is not a multiple of 12"],
    ["connect without the magic", () => decodeConnectRequest(hex("00000417 27101981 00000000 01020304")), "udp tracker request: connect: protocol id 0x41727101981, expected 0x41727101980"],
    ["short announce request", () => decodeAnnounceRequest(announceRequest.subarray(0, 97)), "udp tracker request: announce: 97 bytes, expected at least 98"],
    ["unknown event", () => decodeAnnounceRequest(new Uint8Array([...announceRequest.subarray(0, 80), 0, 0, 0, 7, ...announceRequest.subarray(84)])), "udp tracker request: announce: event 7, expected 0-3"],
    ["scrape without hashes", () => decodeScrapeRequest(scrapeRequest.subarray(0, 16)), "udp tracker request: scrape: 16 bytes, expected at least 36"],
    ["partial scrape hash", () => decodeScrapeRequest(scrapeRequest.subarray(0, 40)), "udp tracker request: scrape: info hashes: 24 bytes is not a multiple of 20"],
    ["short request to the dispatcher", () => decodeUdpRequest(new Uint8Array(15)), "udp tracker request: 15 bytes, expected at least 16"],
    ["unknown request action", () => decodeUdpRequest(hex("1122334455667788 00000003 00000000")), "udp tracker request: unknown action 3"],
  ];
  test.each(cases)("%s", (_name, fn, message) => {
    expect(trackerError(fn)).toBe(message);
  });

  test("decoders read views at any offset", () => {
    const padded = new Uint8Array([9, 9, 9, ...announceResponse]);
    expect(decodeAnnounceResponse(padded.subarray(3))).toEqual(reply);
  });

  test("encoders reject values the wire cannot carry (caller bugs)", () => {
    expect(() => encodeAnnounceRequest({ ...announce, infoHash: new Uint8Array(19) })).toThrow(RangeError);
    expect(() => encodeAnnounceRequest({ ...announce, port: 70_000 })).toThrow("udp port: expected an integer in [0, 65535], got 70000");
    expect(() => encodeAnnounceRequest({ ...announce, left: -(2n ** 63n) - 1n })).toThrow(RangeError);
    expect(() => encodeAnnounceRequest({ ...announce, ip: "example.org" })).toThrow(RangeError);
    expect(() => encodeConnectRequest({ transactionId: -1 })).toThrow(RangeError);
    expect(() => encodeAnnounceResponse({ ...reply, peers: [{ host: "::1", port: 1 }] })).toThrow("udp announce peer: expected an IPv4 address, got ::1");
    expect(() => encodeAnnounceResponse({ ...reply, peers: [{ host: "tracker.example", port: 1 }] }, true)).toThrow(RangeError);
    expect(() => encodeScrapeRequest({ connectionId: CONN, transactionId: 1, infoHashes: Array(75).fill(infoHash) })).toThrow(RangeError);
    expect(() => encodeScrapeRequest({ connectionId: CONN, transactionId: 1, infoHashes: [] })).toThrow(RangeError);
  });
});

describe("ip text", () => {
  test.each([
    ["::", "00000000000000000000000000000000"],
    ["::1", "00000000000000000000000000000001"],
    ["fe80::", "fe800000000000000000000000000000"],
    ["2001:db8:0:0:1:0:0:1", "20010db8000000000001000000000001"],
    ["::ffff:10.0.0.1", "00000000000000000000ffff0a000001"],
  ])("parseIpv6(%s)", (text, bytes) => {
    expect(toHex(parseIpv6(text)!)).toBe(bytes);
  });

  test.each(["", ":::", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", "g::", "1:2:3:4:5:6:7::8", "::1.2.3"])("parseIpv6 refuses %p", (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });

  test("parseIpv4", () => {
    expect(parseIpv4("192.168.0.255")).toEqual(new Uint8Array([192, 168, 0, 255]));
    for (const bad of ["256.0.0.1", "1.2.3", "a.b.c.d", " 1.2.3.4", "1.2.3.4.5"]) expect(parseIpv4(bad)).toBeUndefined();
  });
});
