// Tests for the tracker server's HTTP codec: byte-exact query parsing, failure reasons naming the field,
// compact / dictionary / peers6 replies read back with ripple's own parser, and scrape (BEP 3/7/23/48). Pure.

import { describe, expect, test } from "bun:test";
import { decodeBencode, isDict, type BencodeValue } from "../../src/bencode/index.ts";
import { percentEncodeBytes, utf8 } from "../../src/util/index.ts";
import {
  DEFAULT_NUMWANT,
  MAX_SCRAPE_HASHES,
  encodeAnnounceReply,
  encodeFailureReply,
  encodeScrapeReply,
  parseAnnounceQuery,
  parseAnnounceResponse,
  parseIpAddress,
  parseQuery,
  parseScrapeQuery,
  type SwarmPeer,
} from "../../src/tracker/index.ts";

/** Every byte value, including NUL, '%', '&', '=', '+' and non-UTF-8. */
const infoHash = new Uint8Array([0x00, 0x25, 0x26, 0x3d, 0x2b, 0xff, 0xfe, 0x80, 0x7e, 0x20, 0x41, 0x61, 0xc3, 0x28, 0x0a, 0x2f, 0x3f, 0x23, 0x01, 0x7f]);
const peerId = utf8("-AR1360-\u0001abcdefghijk");
const H = percentEncodeBytes(infoHash);
const P = percentEncodeBytes(peerId);
const base = `info_hash=${H}&peer_id=${P}&port=6881&uploaded=1&downloaded=2&left=3`;

function failureOf(query: string): string {
  const r = parseAnnounceQuery(query);
  if (r.ok) throw new Error("expected a failure");
  return r.failure;
}

function dict(bytes: Uint8Array): Map<string, BencodeValue> {
  const v = decodeBencode(bytes);
  if (!isDict(v)) throw new Error("not a dict");
  return v;
}

const peerAt = (ip: string, port: number, id = 1): SwarmPeer => ({
  peerId: new Uint8Array(20).fill(id),
  ip: parseIpAddress(ip)!,
  port,
  seeder: false,
  lastSeenMs: 0,
});

describe("parseQuery", () => {
  test("percent-decodes to raw bytes, never through UTF-8", () => {
    const r = parseQuery(`info_hash=${H}&x=%e9&y=a+b&flag&empty=`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.get("info_hash")).toEqual([infoHash]);
    expect(r.value.get("x")).toEqual([new Uint8Array([0xe9])]);
    expect(r.value.get("y")).toEqual([utf8("a+b")]); // RFC 3986: '+' is a literal
    expect(r.value.get("flag")).toEqual([new Uint8Array(0)]);
    expect(r.value.get("empty")).toEqual([new Uint8Array(0)]);
  });

  test("mixed raw and escaped characters, lower-case hex, repeated names", () => {
    const r = parseQuery("info_hash=ab%63&info_hash=%7a%7A");
    expect(r.ok && r.value.get("info_hash")).toEqual([utf8("abc"), utf8("zz")]);
  });

  test("huge names and values are handled, not thrown", () => {
    const name = "x".repeat(300_000);
    const r = parseQuery(`${name}=${"%41".repeat(200_000)}`);
    expect(r.ok && r.value.get(name)?.[0]?.length).toBe(200_000);
    expect(failureOf(`${base.replace("port=6881", `port=${"9".repeat(300_000)}`)}`)).toStartWith('invalid port: expected a non-negative integer, got "99999');
  });

  test("a broken escape fails naming the parameter", () => {
    expect(parseQuery("info_hash=%zz")).toEqual({ ok: false, failure: "invalid info_hash: bad percent-encoding" });
    expect(parseQuery("peer_id=abc%4")).toEqual({ ok: false, failure: "invalid peer_id: bad percent-encoding" });
  });
});

describe("parseAnnounceQuery", () => {
  test("reads every field byte-exactly", () => {
    const r = parseAnnounceQuery(`${base}&event=started&numwant=7&compact=1&key=abc&ip=10.9.9.9`);
    expect(r).toEqual({
      ok: true,
      value: { infoHash, peerId, port: 6881, uploaded: 1, downloaded: 2, left: 3, event: "started", numWant: 7, compact: true, noPeerId: false },
    });
  });

  test("defaults: compact, numwant, counters, no event; left absent stays undefined", () => {
    const r = parseAnnounceQuery(`info_hash=${H}&peer_id=${P}&port=1&event=`);
    expect(r).toEqual({
      ok: true,
      value: { infoHash, peerId, port: 1, uploaded: 0, downloaded: 0, left: undefined, numWant: DEFAULT_NUMWANT, compact: true, noPeerId: false },
    });
  });

  test("compact=0 and no_peer_id=1 ask for dictionary peers without ids", () => {
    const r = parseAnnounceQuery(`${base}&compact=0&no_peer_id=1`);
    expect(r.ok && [r.value.compact, r.value.noPeerId]).toEqual([false, true]);
  });

  test("huge counters are accepted (u64), left=0 stays exact", () => {
    const r = parseAnnounceQuery(`${base.replace("left=3", "left=0")}&uploaded=18446744073709551615`);
    expect(r.ok && r.value.left).toBe(0);
  });

  test.each([
    [`peer_id=${P}&port=1`, "missing info_hash"],
    [`info_hash=${H}%00&peer_id=${P}&port=1`, "invalid info_hash: expected 20 bytes, got 21"],
    [`info_hash=abc&peer_id=${P}&port=1`, "invalid info_hash: expected 20 bytes, got 3"],
    [`info_hash=${H}&port=1`, "missing peer_id"],
    [`info_hash=${H}&peer_id=short&port=1`, "invalid peer_id: expected 20 bytes, got 5"],
    [`info_hash=${H}&peer_id=${P}`, "missing port"],
    [`info_hash=${H}&peer_id=${P}&port=`, 'invalid port: expected a non-negative integer, got ""'],
    [`info_hash=${H}&peer_id=${P}&port=http`, 'invalid port: expected a non-negative integer, got "http"'],
    [`info_hash=${H}&peer_id=${P}&port=0`, "invalid port: expected an integer from 1 to 65535, got 0"],
    [`info_hash=${H}&peer_id=${P}&port=65536`, "invalid port: expected an integer from 1 to 65535, got 65536"],
    [`info_hash=${H}&peer_id=${P}&port=-1`, 'invalid port: expected a non-negative integer, got "-1"'],
    [base.replace("uploaded=1", "uploaded=1.5"), 'invalid uploaded: expected a non-negative integer, got "1.5"'],
    [base.replace("downloaded=2", "downloaded=%ff"), 'invalid downloaded: expected a non-negative integer, got "?"'],
    [`${base.replace("left=3", "left=1e9")}`, 'invalid left: expected a non-negative integer, got "1e9"'],
    [`${base.replace("left=3", "left=123456789012345678901")}`, 'invalid left: expected a non-negative integer, got "123456789012345678901"'],
    [`${base}&numwant=-1`, 'invalid numwant: expected a non-negative integer, got "-1"'],
    [`${base}&event=finished`, 'invalid event: expected started, completed, stopped or empty, got "finished"'],
  ])("%s -> %s", (query, reason) => {
    expect(failureOf(query)).toBe(reason);
  });

  test("the first of repeated parameters wins", () => {
    const r = parseAnnounceQuery(`${base}&port=9`);
    expect(r.ok && r.value.port).toBe(6881);
  });
});

describe("announce replies", () => {
  const counts = { complete: 2, incomplete: 3, downloaded: 4 };
  const peers = [peerAt("127.0.0.1", 6881), peerAt("10.0.0.2", 51413, 2), peerAt("::1", 7000, 3)];

  test("compact: IPv4 in `peers` (BEP 23), IPv6 in `peers6` (BEP 7), counts and interval", () => {
    const bytes = encodeAnnounceReply({ ...counts, intervalSec: 1800, minIntervalSec: 900, peers, compact: true, noPeerId: false });
    const d = dict(bytes);
    expect(d.get("peers")).toEqual(new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0xc8, 0xd5]));
    expect(d.get("peers6")).toEqual(new Uint8Array([...Array(15).fill(0), 1, 0x1b, 0x58]));
    expect(d.get("downloaded")).toBe(4);
    const parsed = parseAnnounceResponse(bytes);
    expect(parsed).toEqual({
      intervalSec: 1800,
      minIntervalSec: 900,
      complete: 2,
      incomplete: 3,
      peers: [{ host: "127.0.0.1", port: 6881 }, { host: "10.0.0.2", port: 51413 }, { host: "::1", port: 7000 }],
    });
  });

  test("compact with no peers still has an empty `peers` and no `peers6`", () => {
    const d = dict(encodeAnnounceReply({ ...counts, intervalSec: 60, peers: [], compact: true, noPeerId: false }));
    expect(d.get("peers")).toEqual(new Uint8Array(0));
    expect(d.has("peers6")).toBe(false);
    expect(d.has("min interval")).toBe(false);
  });

  test("compact=0: a list of dictionaries with ip, port and peer id", () => {
    const bytes = encodeAnnounceReply({ ...counts, intervalSec: 60, peers, compact: false, noPeerId: false });
    const list = dict(bytes).get("peers") as BencodeValue[];
    expect(list).toHaveLength(3);
    const first = list[0] as Map<string, BencodeValue>;
    expect(first.get("ip")).toEqual(utf8("127.0.0.1"));
    expect(first.get("port")).toBe(6881);
    expect(first.get("peer id")).toEqual(new Uint8Array(20).fill(1));
    expect((list[2] as Map<string, BencodeValue>).get("ip")).toEqual(utf8("::1"));
    expect(parseAnnounceResponse(bytes).peers).toEqual([
      { host: "127.0.0.1", port: 6881 },
      { host: "10.0.0.2", port: 51413 },
      { host: "::1", port: 7000 },
    ]);
  });

  test("no_peer_id=1 leaves peer ids out", () => {
    const list = dict(encodeAnnounceReply({ ...counts, intervalSec: 60, peers, compact: false, noPeerId: true })).get("peers") as BencodeValue[];
    expect((list[0] as Map<string, BencodeValue>).has("peer id")).toBe(false);
  });

  test("failure reply is the BEP 3 failure reason dictionary", () => {
    expect(new TextDecoder().decode(encodeFailureReply("missing port"))).toBe("d14:failure reason12:missing porte");
    expect(() => parseAnnounceResponse(encodeFailureReply("missing port"))).toThrow("tracker failure: missing port");
  });
});

describe("scrape", () => {
  const a = new Uint8Array(20).fill(0xaa);
  const b = new Uint8Array(20).fill(0x01);

  test("reads several info_hash values, dropping duplicates", () => {
    const q = `info_hash=${percentEncodeBytes(a)}&info_hash=${percentEncodeBytes(b)}&info_hash=${percentEncodeBytes(a)}`;
    expect(parseScrapeQuery(q)).toEqual({ ok: true, value: [a, b] });
  });

  test("bad scrapes name info_hash", () => {
    expect(parseScrapeQuery("")).toEqual({ ok: false, failure: "missing info_hash (full scrape is not supported)" });
    expect(parseScrapeQuery("info_hash=abc")).toEqual({ ok: false, failure: "invalid info_hash: expected 20 bytes, got 3" });
    const many = Array.from({ length: MAX_SCRAPE_HASHES + 1 }, () => `info_hash=${percentEncodeBytes(a)}`).join("&");
    expect(parseScrapeQuery(many)).toEqual({ ok: false, failure: `invalid info_hash: at most 100 per scrape, got 101` });
  });

  test("files dict has raw binary keys sorted as bytes (golden)", () => {
    const bytes = encodeScrapeReply([
      { infoHash: a, counts: { complete: 1, incomplete: 2, downloaded: 3 } },
      { infoHash: b, counts: { complete: 0, incomplete: 0, downloaded: 0 } },
    ]);
    const latin1 = (u: Uint8Array) => String.fromCharCode(...u);
    expect(latin1(bytes)).toBe(
      `d5:filesd20:${latin1(b)}d8:completei0e10:downloadedi0e10:incompletei0ee` +
        `20:${latin1(a)}d8:completei1e10:downloadedi3e10:incompletei2eeee`,
    );
    const files = dict(bytes).get("files") as Map<string, BencodeValue>;
    expect((files.get(latin1(a)) as Map<string, BencodeValue>).get("incomplete")).toBe(2);
    expect(new TextDecoder().decode(encodeScrapeReply([]))).toBe("d5:filesdee");
  });
});
