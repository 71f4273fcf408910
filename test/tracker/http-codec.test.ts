// Tests for the HTTP tracker codec: golden announce URLs and reply parsing (BEP 3, BEP 7, BEP 23). Pure.

import { describe, expect, test } from "bun:test";
import { encodeBencode, type EncodableValue } from "../../src/bencode/index.ts";
import { TrackerError, formatIpv6, utf8 } from "../../src/util/index.ts";
import {
  DEFAULT_INTERVAL_SEC,
  MAX_INTERVAL_SEC,
  MAX_PEERS_PER_REPLY,
  MIN_INTERVAL_SEC,
  MIN_MIN_INTERVAL_SEC,
  buildAnnounceUrl,
  parseAnnounceResponse,
  type AnnounceParams,
} from "../../src/tracker/index.ts";

const infoHash = new Uint8Array([0x00, 0x12, 0x7e, 0x2b, 0x20, 0x41, 0xff, 0x2d, 0x2e, 0x5f, ...Array(10).fill(0x61)]);
const peerId = utf8("-RP0100-abcdefghijkl");
const base: AnnounceParams = { infoHash, peerId, port: 6881, uploaded: 0, downloaded: 10, left: 990, compact: true };
const HASH_Q = "%00%12~%2B%20A%FF-._aaaaaaaaaa";
const TAIL = `info_hash=${HASH_Q}&peer_id=-RP0100-abcdefghijkl&port=6881&uploaded=0&downloaded=10&left=990&compact=1&no_peer_id=1`;

const reply = (dict: Record<string, EncodableValue | undefined>) => encodeBencode(dict);
const compact = (...entries: number[][]) => new Uint8Array(entries.flat());

function trackerError(body: Uint8Array): string {
  try {
    parseAnnounceResponse(body);
  } catch (err) {
    expect(err).toBeInstanceOf(TrackerError);
    return (err as Error).message;
  }
  throw new Error("expected a TrackerError");
}

describe("buildAnnounceUrl", () => {
  test("adds a query and percent-encodes raw bytes", () => {
    expect(buildAnnounceUrl("http://127.0.0.1:6969/announce", base)).toBe(`http://127.0.0.1:6969/announce?${TAIL}`);
  });

  test("extends an existing query with &", () => {
    expect(buildAnnounceUrl("http://t.example/announce?passkey=abc", base)).toBe(
      `http://t.example/announce?passkey=abc&${TAIL}`,
    );
    expect(buildAnnounceUrl("http://t.example/a?", base)).toBe(`http://t.example/a?${TAIL}`);
    expect(buildAnnounceUrl("http://t.example/a?x=1&", base)).toBe(`http://t.example/a?x=1&${TAIL}`);
  });

  test("BEP 7: ipv6= carries our IPv6 address, percent-encoded", () => {
    expect(buildAnnounceUrl("http://t.example/a", { ...base, ipv6: "2001:db8::5" })).toBe(`http://t.example/a?${TAIL}&ipv6=2001%3Adb8%3A%3A5`);
  });

  test("drops a fragment", () => {
    expect(buildAnnounceUrl("http://t.example/a#frag", base)).toBe(`http://t.example/a?${TAIL}`);
  });

  test("optional fields: event, numwant, key, trackerid as raw bytes", () => {
    const url = buildAnnounceUrl("http://t.example/a", {
      ...base,
      event: "started",
      numWant: 50,
      key: "0a1b2c3d",
      trackerId: new Uint8Array([0x41, 0x00, 0xfe]),
    });
    expect(url).toBe(`http://t.example/a?${TAIL}&event=started&numwant=50&key=0a1b2c3d&trackerid=A%00%FE`);
  });

  test("rejects negative or fractional counters (a caller bug)", () => {
    expect(() => buildAnnounceUrl("http://t/a", { ...base, left: -1 })).toThrow("announce left");
    expect(() => buildAnnounceUrl("http://t/a", { ...base, uploaded: 1.5 })).toThrow("announce uploaded");
  });
});

describe("parseAnnounceResponse", () => {
  test("compact peers (BEP 23) with interval, min interval, counts and tracker id", () => {
    const r = parseAnnounceResponse(
      reply({
        interval: 900,
        "min interval": 60,
        complete: 3,
        incomplete: 7,
        "tracker id": "tid-1",
        peers: compact([127, 0, 0, 1, 0x1a, 0xe1], [10, 1, 2, 3, 0x00, 0x50]),
      }),
    );
    expect(r).toEqual({
      intervalSec: 900,
      minIntervalSec: 60,
      complete: 3,
      incomplete: 7,
      trackerId: utf8("tid-1"),
      peers: [
        { host: "127.0.0.1", port: 6881 },
        { host: "10.1.2.3", port: 80 },
      ],
    });
  });

  test("dictionary peers (BEP 3): bad entries skipped, hosts normalised", () => {
    const r = parseAnnounceResponse(
      reply({
        interval: 1800,
        peers: [
          { ip: "127.0.0.1", port: 6881, "peer id": "-XX0001-abcdefghijkl" },
          { ip: "::1", port: 6882 },
          { ip: "[FE80::1]", port: 6883 },
          { ip: "Peer.Example.org", port: 6884 },
          { ip: "300.1.1.1", port: 1 },
          { ip: "bad host!", port: 1 },
          { ip: "1.2.3.4", port: 70000 },
          { ip: "1.2.3.4" },
          { port: 5 },
          "not a dict",
          { ip: "1.2.3.4", port: "6881" },
        ],
      }),
    );
    expect(r.peers).toEqual([
      { host: "127.0.0.1", port: 6881 },
      { host: "::1", port: 6882 },
      { host: "fe80::1", port: 6883 },
      { host: "peer.example.org", port: 6884 },
    ]);
  });

  test("peers6 (BEP 7) in RFC 5952 form, v4-mapped as IPv4", () => {
    const v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1a, 0xe1];
    const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 0, 9, 0, 80];
    const r = parseAnnounceResponse(reply({ interval: 60, peers: compact(), peers6: compact(v6, mapped) }));
    expect(r.peers).toEqual([
      { host: "2001:db8::1", port: 6881 },
      { host: "192.168.0.9", port: 80 },
    ]);
  });

  test("formatIpv6 compresses the longest zero run only", () => {
    const g = (...groups: number[]) => new Uint8Array(groups.flatMap((x) => [x >> 8, x & 0xff]));
    expect(formatIpv6(g(0, 0, 0, 0, 0, 0, 0, 0))).toBe("::");
    expect(formatIpv6(g(1, 0, 0, 2, 0, 0, 0, 3))).toBe("1:0:0:2::3");
    expect(formatIpv6(g(1, 0, 2, 3, 4, 5, 6, 7))).toBe("1:0:2:3:4:5:6:7");
    expect(formatIpv6(g(0xfe80, 0, 0, 0, 0xabcd, 0, 0, 1))).toBe("fe80::abcd:0:0:1");
  });

  test("port 0 and unspecified addresses are skipped, duplicates dropped", () => {
    const r = parseAnnounceResponse(
      reply({
        interval: 60,
        peers: compact([1, 2, 3, 4, 0, 0], [0, 0, 0, 0, 0, 80], [1, 2, 3, 4, 0, 80], [1, 2, 3, 4, 0, 80]),
      }),
    );
    expect(r.peers).toEqual([{ host: "1.2.3.4", port: 80 }]);
  });

  test("accepts at most MAX_PEERS_PER_REPLY peers", () => {
    const many = Array.from({ length: MAX_PEERS_PER_REPLY + 500 }, (_, i) => [10, 0, i >> 8, i & 0xff, 0, 80]);
    const r = parseAnnounceResponse(reply({ interval: 60, peers: compact(...many), peers6: compact() }));
    expect(r.peers).toHaveLength(MAX_PEERS_PER_REPLY);
    expect(r.peers[0]).toEqual({ host: "10.0.0.0", port: 80 });
  });

  test("interval: default when missing, clamped when absurd", () => {
    expect(parseAnnounceResponse(reply({ peers: compact() })).intervalSec).toBe(DEFAULT_INTERVAL_SEC);
    expect(parseAnnounceResponse(reply({ interval: 0 })).intervalSec).toBe(MIN_INTERVAL_SEC);
    expect(parseAnnounceResponse(reply({ interval: -5 })).intervalSec).toBe(MIN_INTERVAL_SEC);
    expect(parseAnnounceResponse(reply({ interval: 10_000_000 })).intervalSec).toBe(MAX_INTERVAL_SEC);
    expect(parseAnnounceResponse(utf8("d8:intervali99999999999999999999ee")).intervalSec).toBe(MAX_INTERVAL_SEC);
    expect(parseAnnounceResponse(reply({ interval: 60, "min interval": 5 })).minIntervalSec).toBe(5);
    expect(parseAnnounceResponse(reply({ interval: 60, "min interval": 1 })).minIntervalSec).toBe(MIN_MIN_INTERVAL_SEC);
  });

  test("missing peers reads as no peers", () => {
    expect(parseAnnounceResponse(reply({ interval: 60 })).peers).toEqual([]);
  });

  test("failure reason throws a TrackerError with the tracker's text", () => {
    expect(trackerError(reply({ "failure reason": "unregistered torrent" }))).toBe(
      "tracker failure: unregistered torrent",
    );
  });

  test("tracker text is made safe for one terminal line", () => {
    const msg = trackerError(reply({ "failure reason": "bad\x1b[31m\r\nthing" + "x".repeat(1000) }));
    expect(msg).not.toMatch(/[\x00-\x1f]/);
    expect(msg.startsWith("tracker failure: bad [31m thing")).toBe(true);
    expect(msg.length).toBeLessThan(400);
  });

  test("warning message is returned", () => {
    expect(parseAnnounceResponse(reply({ interval: 60, "warning message": "slow down" })).warning).toBe("slow down");
  });

  test.each([
    ["compact peers length", { interval: 60, peers: new Uint8Array(13) }, "tracker reply: peers: compact length 13 is not a multiple of 6"],
    ["compact peers6 length", { interval: 60, peers6: new Uint8Array(20) }, "tracker reply: peers6: compact length 20 is not a multiple of 18"],
    ["peers type", { interval: 60, peers: 5 }, "tracker reply: peers: expected a byte string or a list, got the integer 5"],
    ["peers6 type", { interval: 60, peers6: [] }, "tracker reply: peers6: expected a byte string, got a list of 0"],
    ["interval type", { interval: "60" }, "tracker reply: interval: expected an integer, got a 2-byte string"],
    ["min interval type", { interval: 60, "min interval": [] }, "tracker reply: min interval: expected an integer, got a list of 0"],
    ["complete", { interval: 60, complete: -1 }, "tracker reply: complete: expected a non-negative integer, got the integer -1"],
    ["incomplete", { interval: 60, incomplete: "x" }, "tracker reply: incomplete: expected a non-negative integer, got a 1-byte string"],
    ["tracker id", { interval: 60, "tracker id": 7 }, "tracker reply: tracker id: expected a byte string, got the integer 7"],
    ["warning", { interval: 60, "warning message": 7 }, "tracker reply: warning message: expected a byte string, got the integer 7"],
    ["failure type", { "failure reason": 7 }, "tracker reply: failure reason: expected a byte string, got the integer 7"],
  ] as const)("bad field is named: %s", (_name, dict, message) => {
    expect(trackerError(reply(dict as Record<string, EncodableValue>))).toBe(message);
  });

  test("non-dictionary and non-bencode replies", () => {
    expect(trackerError(reply({ x: 1 }).subarray(0, 3))).toStartWith("tracker reply: not valid bencode: ");
    expect(trackerError(utf8("<html>502 Bad Gateway</html>"))).toStartWith("tracker reply: not valid bencode: ");
    expect(trackerError(utf8("li1ee"))).toBe("tracker reply: expected a dictionary, got a list of 1");
  });
});
