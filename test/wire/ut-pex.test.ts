import { describe, expect, test } from "bun:test";
import { encodeBencode } from "../../src/bencode/index.ts";
import { WireError, concatBytes } from "../../src/util/index.ts";
import {
  MAX_PEX_PEERS,
  PEX_FLAG_HOLEPUNCH,
  PEX_FLAG_PREFERS_ENCRYPTION,
  PEX_FLAG_REACHABLE,
  PEX_FLAG_SEED,
  PEX_FLAG_UTP,
  decodePex,
  encodePex,
} from "../../src/wire/index.ts";

const bin = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0));
const v4 = (a: number, b: number, c: number, d: number, port: number) => new Uint8Array([a, b, c, d, port >> 8, port & 0xff]);
const v6 = (groups: number[], port: number) => new Uint8Array([...groups.flatMap((g) => [g >> 8, g & 0xff]), port >> 8, port & 0xff]);
const LOOPBACK6 = [0, 0, 0, 0, 0, 0, 0, 1];

// Hand-written: keys in sorted order ("added" < "added.f" < "added6" < "added6.f" < "dropped" < "dropped6").
const GOLDEN = concatBytes([
  bin("d5:added6:"), v4(127, 0, 0, 1, 6881),
  bin("7:added.f1:\x12"),
  bin("6:added618:"), v6(LOOPBACK6, 6882),
  bin("8:added6.f1:\x04"),
  bin("7:dropped6:"), v4(10, 0, 0, 1, 80),
  bin("8:dropped60:e"),
]);

describe("ut_pex flags (BEP 11)", () => {
  test("constants", () => {
    expect([PEX_FLAG_PREFERS_ENCRYPTION, PEX_FLAG_SEED, PEX_FLAG_UTP, PEX_FLAG_HOLEPUNCH, PEX_FLAG_REACHABLE]).toEqual([0x01, 0x02, 0x04, 0x08, 0x10]);
    expect(MAX_PEX_PEERS).toBe(50);
  });
});

describe("encodePex", () => {
  test("golden bytes: IPv4 and IPv6 lists with flags, every list present", () => {
    const bytes = encodePex({
      added: [
        { host: "127.0.0.1", port: 6881, flags: PEX_FLAG_SEED | PEX_FLAG_REACHABLE },
        { host: "::1", port: 6882, flags: PEX_FLAG_UTP },
      ],
      dropped: [{ host: "10.0.0.1", port: 80 }],
    });
    expect(bytes).toEqual(GOLDEN);
  });

  test("an empty message has six empty lists", () => {
    expect(encodePex({})).toEqual(bin("d5:added0:7:added.f0:6:added60:8:added6.f0:7:dropped0:8:dropped60:e"));
  });

  test("host names are skipped; IPv4-mapped IPv6 goes in the IPv4 list; [v6] brackets are accepted", () => {
    const decoded = decodePex(
      encodePex({
        added: [
          { host: "peer.example", port: 1 },
          { host: "::ffff:192.168.1.2", port: 2 },
          { host: "[2001:db8::7]", port: 3 },
        ],
      }),
    );
    expect(decoded.added).toEqual([
      { host: "192.168.1.2", port: 2, flags: 0 },
      { host: "2001:db8::7", port: 3, flags: 0 },
    ]);
  });

  test("at most 50 added and 50 dropped, IPv4 and IPv6 together", () => {
    const many = Array.from({ length: 70 }, (_, i) => ({ host: i % 2 ? `10.0.0.${i}` : `2001:db8::${i.toString(16)}`, port: 1000 + i }));
    const decoded = decodePex(encodePex({ added: many, dropped: many }));
    expect(decoded.added.length).toBe(50);
    expect(decoded.dropped.length).toBe(50);
    expect(new Set(decoded.added.map((p) => p.port))).toEqual(new Set(many.slice(0, 50).map((p) => p.port)));
  });

  test("RangeError for a port out of range (a local bug)", () => {
    expect(() => encodePex({ added: [{ host: "127.0.0.1", port: 0 }] })).toThrow(RangeError);
    expect(() => encodePex({ dropped: [{ host: "127.0.0.1", port: 65536 }] })).toThrow(RangeError);
  });
});

describe("decodePex", () => {
  test("golden bytes: IPv4 peers first, then IPv6, with their flags", () => {
    expect(decodePex(GOLDEN)).toEqual({
      added: [
        { host: "127.0.0.1", port: 6881, flags: 0x12 },
        { host: "::1", port: 6882, flags: 0x04 },
      ],
      dropped: [{ host: "10.0.0.1", port: 80 }],
    });
  });

  test("a libtorrent-like message with only IPv4 keys", () => {
    const payload = encodeBencode({ added: concatBytes([v4(192, 0, 2, 1, 51413), v4(198, 51, 100, 7, 6881)]), "added.f": new Uint8Array([0x01, 0x12]), dropped: new Uint8Array(0) });
    expect(decodePex(payload)).toEqual({
      added: [
        { host: "192.0.2.1", port: 51413, flags: 0x01 },
        { host: "198.51.100.7", port: 6881, flags: 0x12 },
      ],
      dropped: [],
    });
  });

  test("missing or ill-sized flags count as 0 (flags are hints)", () => {
    const two = concatBytes([v4(192, 0, 2, 1, 1), v4(192, 0, 2, 2, 2)]);
    expect(decodePex(encodeBencode({ added: two })).added.map((p) => p.flags)).toEqual([0, 0]);
    expect(decodePex(encodeBencode({ added: two, "added.f": new Uint8Array([1]) })).added.map((p) => p.flags)).toEqual([0, 0]);
    expect(decodePex(encodeBencode({ added: two, "added.f": 7 })).added.map((p) => p.flags)).toEqual([0, 0]);
  });

  test("port 0, unspecified addresses and repeats are skipped", () => {
    const added = concatBytes([v4(192, 0, 2, 1, 0), v4(0, 0, 0, 0, 6881), v4(192, 0, 2, 1, 6881), v4(192, 0, 2, 1, 6881)]);
    const added6 = concatBytes([v6([0, 0, 0, 0, 0, 0, 0, 0], 6881), v6(LOOPBACK6, 0)]);
    expect(decodePex(encodeBencode({ added, added6 })).added).toEqual([{ host: "192.0.2.1", port: 6881, flags: 0 }]);
  });

  test("an IPv4-mapped address in added6 reads as IPv4", () => {
    const added6 = v6([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201], 6881);
    expect(decodePex(encodeBencode({ added6 })).added).toEqual([{ host: "192.0.2.1", port: 6881, flags: 0 }]);
  });

  test("only the first 50 added (IPv4 then IPv6) and 50 dropped are used", () => {
    const ipv4 = concatBytes(Array.from({ length: 40 }, (_, i) => v4(10, 0, 0, i + 1, 6881)));
    const ipv6 = concatBytes(Array.from({ length: 20 }, (_, i) => v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, i + 1], 6881)));
    const dropped = concatBytes(Array.from({ length: 60 }, (_, i) => v4(10, 1, 0, i + 1, 6881)));
    const decoded = decodePex(encodeBencode({ added: ipv4, added6: ipv6, dropped }));
    expect(decoded.added.length).toBe(50);
    expect(decoded.added.at(39)).toEqual({ host: "10.0.0.40", port: 6881, flags: 0 });
    expect(decoded.added.at(49)).toEqual({ host: "2001:db8::a", port: 6881, flags: 0 });
    expect(decoded.dropped.length).toBe(50);
  });

  test("unknown keys are ignored", () => {
    expect(decodePex(encodeBencode({ "x-extra": [1, 2], added: v4(192, 0, 2, 9, 9) })).added).toEqual([{ host: "192.0.2.9", port: 9, flags: 0 }]);
  });

  const junk: [string, Uint8Array, RegExp][] = [
    ["not bencode", bin("hello"), /not valid bencode/],
    ["an empty payload", new Uint8Array(0), /not valid bencode/],
    ["a list", bin("le"), /not a dictionary/],
    ["added of 7 bytes", encodeBencode({ added: new Uint8Array(7) }), /ut_pex added has 7 bytes, not a multiple of 6/],
    ["added6 of 6 bytes", encodeBencode({ added6: new Uint8Array(6) }), /ut_pex added6 has 6 bytes, not a multiple of 18/],
    ["dropped as an integer", encodeBencode({ dropped: 5 }), /ut_pex dropped is not a byte string/],
    ["dropped6 as a list", encodeBencode({ dropped6: [] }), /ut_pex dropped6 is not a byte string/],
  ];
  for (const [what, payload, message] of junk) {
    test(`${what} is a WireError`, () => {
      expect(() => decodePex(payload)).toThrow(WireError);
      expect(() => decodePex(payload)).toThrow(message);
    });
  }
});
