// KRPC codec (BEP 5): golden bytes from the BEP's examples, round trips, and malformed input naming the field.

import { describe, expect, test } from "bun:test";
import {
  KrpcDecodeError,
  decodeCompactNodes,
  decodeCompactPeer,
  decodeKrpc,
  encodeCompactNodes,
  encodeCompactPeer,
  encodeError,
  encodeQuery,
  encodeResponse,
  type KrpcMessage,
} from "../../src/dht/index.ts";
import { DhtError, utf8 } from "../../src/util/index.ts";
import { seededBytes } from "../helpers/random.ts";

const text = (b: Uint8Array) => new TextDecoder("latin1").decode(b);
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const AA = utf8("aa");
const ID_A = utf8("abcdefghij0123456789");
const ID_M = utf8("mnopqrstuvwxyz123456");

function decodeError(input: string | Uint8Array): KrpcDecodeError {
  try {
    decodeKrpc(typeof input === "string" ? bytes(input) : input);
  } catch (err) {
    expect(err).toBeInstanceOf(DhtError);
    expect(err).toBeInstanceOf(KrpcDecodeError);
    return err as KrpcDecodeError;
  }
  throw new Error("expected a decode error");
}

describe("BEP 5 examples (golden bytes)", () => {
  test("ping query and response", () => {
    const q = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
    expect(text(encodeQuery(AA, { method: "ping", id: ID_A }))).toBe(q);
    expect(decodeKrpc(bytes(q))).toEqual({ y: "q", t: AA, query: { method: "ping", id: ID_A }, readOnly: false });
    const r = "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
    expect(text(encodeResponse(AA, { id: ID_M }))).toBe(r);
    const decoded = decodeKrpc(bytes(r));
    expect(decoded.y === "r" && decoded.body.id).toEqual(ID_M);
  });

  test("find_node query", () => {
    const q = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe";
    expect(text(encodeQuery(AA, { method: "find_node", id: ID_A, target: ID_M }))).toBe(q);
    expect(decodeKrpc(bytes(q))).toMatchObject({ y: "q", query: { method: "find_node", id: ID_A, target: ID_M } });
  });

  test("get_peers query and a response with values", () => {
    const q = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe";
    expect(text(encodeQuery(AA, { method: "get_peers", id: ID_A, infoHash: ID_M }))).toBe(q);
    expect(decodeKrpc(bytes(q))).toMatchObject({ query: { method: "get_peers", infoHash: ID_M } });
    const r = "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re";
    const values = [decodeCompactPeer(bytes("axje.u")), decodeCompactPeer(bytes("idhtnm"))];
    expect(values[0]).toEqual({ host: "97.120.106.101", port: (0x2e << 8) | 0x75 });
    expect(text(encodeResponse(AA, { id: ID_A, token: utf8("aoeusnth"), values }))).toBe(r);
    expect(decodeKrpc(bytes(r))).toEqual({ y: "r", t: AA, body: { id: ID_A, token: utf8("aoeusnth"), values, nodes: undefined }, ip: undefined });
  });

  test("announce_peer query with implied_port", () => {
    const q =
      "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
    const query = { method: "announce_peer", id: ID_A, infoHash: ID_M, port: 6881, token: utf8("aoeusnth"), impliedPort: true } as const;
    expect(text(encodeQuery(AA, query))).toBe(q);
    expect(decodeKrpc(bytes(q))).toEqual({ y: "q", t: AA, query, readOnly: false });
  });

  test("error", () => {
    const e = "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee";
    expect(text(encodeError(AA, 201, "A Generic Error Ocurred"))).toBe(e);
    expect(decodeKrpc(bytes(e))).toEqual({ y: "e", t: AA, code: 201, message: "A Generic Error Ocurred" });
  });
});

describe("compact codecs", () => {
  test("peer: 6 bytes, big-endian port", () => {
    const b = encodeCompactPeer({ host: "127.0.0.1", port: 6881 });
    expect([...b]).toEqual([127, 0, 0, 1, 0x1a, 0xe1]);
    expect(decodeCompactPeer(b)).toEqual({ host: "127.0.0.1", port: 6881 });
    expect(() => encodeCompactPeer({ host: "example.org", port: 1 })).toThrow(DhtError);
    expect(() => encodeCompactPeer({ host: "1.2.3.4", port: 0 })).toThrow("compact peer");
  });

  test("nodes: 26 bytes each, round trip, length must be a multiple of 26", () => {
    const nodes = [
      { id: ID_A, host: "10.0.0.1", port: 1 },
      { id: ID_M, host: "255.254.253.252", port: 65535 },
    ];
    const b = encodeCompactNodes(nodes);
    expect(b.length).toBe(52);
    expect(decodeCompactNodes(b)).toEqual(nodes);
    expect(() => decodeCompactNodes(b.subarray(0, 51))).toThrow("krpc r.nodes: expected a multiple of 26 bytes, got 51");
  });

  test("a response with nodes and the BEP 42 ip field round-trips", () => {
    const nodes = [{ id: ID_M, host: "127.0.0.1", port: 4000 }];
    const msg = decodeKrpc(encodeResponse(utf8("t1"), { id: ID_A, nodes, token: utf8("tok") }, { host: "127.0.0.1", port: 5000 }));
    expect(msg).toEqual({ y: "r", t: utf8("t1"), body: { id: ID_A, nodes, token: utf8("tok"), values: undefined }, ip: { host: "127.0.0.1", port: 5000 } });
  });
});

describe("malformed messages", () => {
  const cases: [string, string, string][] = [
    ["not bencode", "d1:t2:aa", "message"],
    ["trailing bytes", "d1:t2:aa1:y1:reX", "message"],
    ["not a dictionary", "li1ee", "message"],
    ["no transaction id", "d1:y1:qe", "t"],
    ["transaction id an integer", "d1:ti5e1:y1:qe", "t"],
    ["huge transaction id", `d1:t40:${"x".repeat(40)}1:y1:re`, "t"],
    ["unknown y", "d1:t2:aa1:y1:xe", "y"],
    ["response without r", "d1:t2:aa1:y1:re", "r"],
    ["response id too short", "d1:rd2:id3:abce1:t2:aa1:y1:re", "r.id"],
    ["nodes of 25 bytes", `d1:rd2:id20:${"a".repeat(20)}5:nodes25:${"n".repeat(25)}e1:t2:aa1:y1:re`, "r.nodes"],
    ["values not a list", `d1:rd2:id20:${"a".repeat(20)}6:valuesi1ee1:t2:aa1:y1:re`, "r.values"],
    ["value of 5 bytes", `d1:rd2:id20:${"a".repeat(20)}6:valuesl5:abcdeee1:t2:aa1:y1:re`, "r.values"],
    ["error not a list", "d1:ei201e1:t2:aa1:y1:ee", "e"],
    ["error code not an integer", "d1:el3:abc3:abce1:t2:aa1:y1:ee", "e"],
  ];
  for (const [name, input, field] of cases) {
    test(`${name} -> field ${field}`, () => {
      const err = decodeError(input);
      expect(err.field).toBe(field);
      expect(err.message).toStartWith(`krpc ${field}: `);
      expect(err.replyCode).toBeUndefined();
    });
  }

  const queryCases: [string, string, string, 203 | 204][] = [
    ["unknown method", "d1:ad2:id20:abcdefghij0123456789e1:q4:vote1:t2:aa1:y1:qe", "q", 204],
    ["unknown method without arguments", "d1:q4:vote1:t2:aa1:y1:qe", "q", 204],
    ["method not a string", "d1:ad2:id20:abcdefghij0123456789e1:qi1e1:t2:aa1:y1:qe", "q", 203],
    ["missing a", "d1:q4:ping1:t2:aa1:y1:qe", "a", 203],
    ["id of 19 bytes", "d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe", "a.id", 203],
    ["find_node without target", "d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe", "a.target", 203],
    ["get_peers info_hash a list", "d1:ad2:id20:abcdefghij01234567899:info_hashlee1:q9:get_peers1:t2:aa1:y1:qe", "a.info_hash", 203],
    [
      "announce_peer port 0",
      "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti0e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
      "a.port",
      203,
    ],
    [
      "announce_peer port 70000",
      "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti70000e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
      "a.port",
      203,
    ],
    [
      "announce_peer without token",
      "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti1ee1:q13:announce_peer1:t2:aa1:y1:qe",
      "a.token",
      203,
    ],
    [
      "announce_peer implied_port 2",
      "d1:ad2:id20:abcdefghij012345678912:implied_porti2e9:info_hash20:mnopqrstuvwxyz1234564:porti1e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
      "a.implied_port",
      203,
    ],
  ];
  for (const [name, input, field, code] of queryCases) {
    test(`query: ${name} -> field ${field}, reply ${code}`, () => {
      const err = decodeError(input);
      expect(err.field).toBe(field);
      expect(err.replyCode).toBe(code);
      expect(err.transactionId).toEqual(AA);
    });
  }

  test("announce_peer with implied_port 1 needs no valid port", () => {
    const q = "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti0e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe";
    expect(decodeKrpc(bytes(q))).toMatchObject({ query: { method: "announce_peer", impliedPort: true, port: 0 } });
  });

  test("extra keys and a BEP 43 read-only flag are accepted; IPv6 values are skipped", () => {
    const q = "d1:ad2:id20:abcdefghij01234567894:wantl2:n4e2:roi1ee1:q4:ping1:t2:aa1:v4:UT011:y1:qe";
    expect(decodeKrpc(bytes(q))).toMatchObject({ y: "q", readOnly: true });
    const r = `d1:rd2:id20:${"a".repeat(20)}6:valuesl18:${"6".repeat(18)}6:axje.uee1:t2:aa1:y1:re`;
    const msg = decodeKrpc(bytes(r)) as Extract<KrpcMessage, { y: "r" }>;
    expect(msg.body.values).toEqual([decodeCompactPeer(bytes("axje.u"))]);
  });

  test("random bytes and mutations of valid messages never throw anything but a DhtError", () => {
    const random = seededBytes(12345);
    const rnd = () => random(1)[0]!;
    const valid = bytes("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe");
    for (let i = 0; i < 3000; i++) {
      const input = i % 2 === 0 ? Uint8Array.from({ length: rnd() % 80 }, rnd) : valid.map((b) => (rnd() < 8 ? rnd() : b));
      try {
        decodeKrpc(input);
      } catch (err) {
        expect(err).toBeInstanceOf(DhtError);
      }
    }
  });
});
