import { describe, expect, test } from "bun:test";
import { WireError, concatBytes, fromHex } from "../../src/util/index.ts";
import {
  EXTENDED_HANDSHAKE_ID,
  LOCAL_EXTENSIONS,
  MAX_METADATA_SIZE,
  MESSAGE_ID,
  UT_METADATA_LOCAL_ID,
  UT_PEX_LOCAL_ID,
  decodeExtendedHandshake,
  decodeMessage,
  encodeExtendedHandshake,
  encodeExtendedMessage,
} from "../../src/wire/index.ts";

/** Bytes of a latin1 string: bencode written by hand, byte for byte. */
const bin = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0));
const u32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
/** A whole extended frame, written out: <len><20><extId><payload>. */
const frame = (extId: number, payload: Uint8Array) => concatBytes([u32(2 + payload.length), new Uint8Array([20, extId]), payload]);

describe("encodeExtendedHandshake", () => {
  test("golden bytes: keys sorted, the whole frame with id 20 and ext id 0", () => {
    const bytes = encodeExtendedHandshake({
      m: LOCAL_EXTENSIONS,
      v: "ripple 0.1.0",
      p: 6881,
      reqq: 250,
      yourip: new Uint8Array([127, 0, 0, 1]),
      metadataSize: 31235,
    });
    const dict = bin(
      "d1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei31235e1:pi6881e4:reqqi250e1:v12:ripple 0.1.06:yourip4:\x7f\x00\x00\x01e",
    );
    expect(bytes).toEqual(frame(0, dict));
  });

  test("only m is required; 0 disables an extension in a later handshake", () => {
    expect(encodeExtendedHandshake({ m: {} })).toEqual(frame(0, bin("d1:mdee")));
    expect(encodeExtendedHandshake({ m: { ut_pex: 0 } })).toEqual(frame(0, bin("d1:md6:ut_pexi0eee")));
  });

  test("our local ids: ut_metadata 1, ut_pex 2", () => {
    expect(UT_METADATA_LOCAL_ID).toBe(1);
    expect(UT_PEX_LOCAL_ID).toBe(2);
    expect(LOCAL_EXTENSIONS).toEqual({ ut_metadata: 1, ut_pex: 2 });
    expect(EXTENDED_HANDSHAKE_ID).toBe(0);
  });

  test("decodes back through decodeMessage and decodeExtendedHandshake", () => {
    const bytes = encodeExtendedHandshake({ m: LOCAL_EXTENSIONS, v: "ripple", p: 51413, reqq: 500, metadataSize: 1, yourip: fromHex("20010db8000000000000000000000001")! });
    const msg = decodeMessage(bytes[4]!, bytes.subarray(5));
    if (msg.type !== "extended") throw new Error(`expected an extended message, got ${msg.type}`);
    expect(msg.id).toBe(EXTENDED_HANDSHAKE_ID);
    expect(decodeExtendedHandshake(msg.payload)).toEqual({
      m: new Map([["ut_metadata", 1], ["ut_pex", 2]]),
      disabled: new Set(),
      v: "ripple",
      p: 51413,
      reqq: 500,
      metadataSize: 1,
      yourip: fromHex("20010db8000000000000000000000001")!,
    });
  });

  const bad: [string, Parameters<typeof encodeExtendedHandshake>[0]][] = [
    ["an id above 255", { m: { ut_pex: 256 } }],
    ["a negative id", { m: { ut_pex: -1 } }],
    ["port 0", { m: {}, p: 0 }],
    ["a 5-byte yourip", { m: {}, yourip: new Uint8Array(5) }],
    ["metadata_size 0", { m: {}, metadataSize: 0 }],
    ["metadata_size above the maximum", { m: {}, metadataSize: MAX_METADATA_SIZE + 1 }],
    ["reqq 0", { m: {}, reqq: 0 }],
  ];
  for (const [what, input] of bad) {
    test(`throws RangeError for ${what} (a local bug)`, () => expect(() => encodeExtendedHandshake(input)).toThrow(RangeError));
  }
});

describe("encodeExtendedMessage", () => {
  test("frames any payload under the peer's id", () => {
    expect(encodeExtendedMessage(3, bin("abc"))).toEqual(fromHex("00000005 14 03 616263".replace(/ /g, ""))!);
    expect(encodeExtendedMessage(255, new Uint8Array(0))).toEqual(frame(255, new Uint8Array(0)));
    expect(MESSAGE_ID.extended).toBe(20);
  });

  test("throws RangeError for an id outside 0-255", () => {
    expect(() => encodeExtendedMessage(256, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe("decodeExtendedHandshake: real-world handshakes", () => {
  test("libtorrent-like: m with ut_metadata 2, ut_pex 1, lt_donthave 7, and the usual extras", () => {
    const payload = bin(
      "d12:complete_agoi-1e1:ei0e4:ipv44:\x0a\x00\x00\x021:md11:lt_donthavei7e10:share_modei8e11:upload_onlyi3e" +
        "12:ut_holepunchi4e11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei5234e4:reqqi500e11:upload_onlyi0e" +
        "1:v17:libtorrent/2.0.116:yourip4:\x7f\x00\x00\x01e",
    );
    const h = decodeExtendedHandshake(payload);
    expect(h.m).toEqual(new Map([["lt_donthave", 7], ["share_mode", 8], ["upload_only", 3], ["ut_holepunch", 4], ["ut_metadata", 2], ["ut_pex", 1]]));
    expect(h.metadataSize).toBe(5234);
    expect(h.reqq).toBe(500);
    expect(h.v).toBe("libtorrent/2.0.11");
    expect(h.yourip).toEqual(new Uint8Array([127, 0, 0, 1]));
    expect(h.p).toBeUndefined();
    expect(h.disabled.size).toBe(0);
  });

  test("Transmission-like: port, an IPv6 yourip, no metadata_size while it has no metadata", () => {
    const v6 = "\x20\x01\x0d\xb8" + "\x00".repeat(11) + "\x01";
    const payload = bin(`d1:ei0e4:ipv616:${v6}1:md11:ut_metadatai3e6:ut_pexi1ee1:pi51413e4:reqqi512e11:upload_onlyi1e1:v17:Transmission 3.006:yourip16:${v6}e`);
    const h = decodeExtendedHandshake(payload);
    expect(h).toEqual({
      m: new Map([["ut_metadata", 3], ["ut_pex", 1]]),
      disabled: new Set(),
      p: 51413,
      reqq: 512,
      v: "Transmission 3.00",
      yourip: bin(v6),
    });
  });

  test("an update disabling ut_pex with id 0: absent from m, listed in disabled", () => {
    const h = decodeExtendedHandshake(bin("d1:md6:ut_pexi0e11:ut_metadatai2eee"));
    expect(h.m).toEqual(new Map([["ut_metadata", 2]]));
    expect(h.disabled).toEqual(new Set(["ut_pex"]));
  });

  test("yourip is a copy, not a view into the payload", () => {
    const payload = bin("d1:mde6:yourip4:\x01\x02\x03\x04e");
    const h = decodeExtendedHandshake(payload);
    payload.fill(0);
    expect(h.yourip).toEqual(new Uint8Array([1, 2, 3, 4]));
  });
});

describe("decodeExtendedHandshake: odd values are ignored key by key", () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ["m that is a list", "d1:mli1ee1:pi6881ee", { m: new Map(), p: 6881 }],
    ["ids out of range or of the wrong type", "d1:md1:ai256e1:bi-1e1:c1:71:di5eee", { m: new Map([["d", 5]]) }],
    ["p out of range", "d1:md1:ai1ee1:pi70000ee", { m: new Map([["a", 1]]) }],
    ["p as a string", "d1:md1:ai1ee1:p4:6881e", { m: new Map([["a", 1]]) }],
    ["negative reqq", "d1:mde4:reqqi-5ee", { m: new Map() }],
    ["v as an integer", "d1:mde1:vi5ee", { m: new Map() }],
    ["a 5-byte yourip", "d1:mde6:yourip5:abcdee", { m: new Map() }],
    ["metadata_size 0", "d1:mde13:metadata_sizei0ee", { m: new Map() }],
    ["metadata_size negative", "d1:mde13:metadata_sizei-1ee", { m: new Map() }],
    ["metadata_size above the maximum", `d1:mde13:metadata_sizei${MAX_METADATA_SIZE + 1}ee`, { m: new Map() }],
    ["metadata_size as a string", "d1:mde13:metadata_size3:123e", { m: new Map() }],
    ["no m at all", "d1:v3:abce", { m: new Map(), v: "abc" }],
  ];
  for (const [what, text, expected] of cases) {
    test(what, () => expect(decodeExtendedHandshake(bin(text))).toEqual({ disabled: new Set(), ...expected } as never));
  }

  test("invalid UTF-8 in v is replaced; a very long v is cut", () => {
    expect(decodeExtendedHandshake(bin("d1:v3:a\xffbe")).v).toBe("a\uFFFDb");
    expect(decodeExtendedHandshake(bin(`d1:v500:${"x".repeat(500)}e`)).v).toBe("x".repeat(100));
  });
});

describe("decodeExtendedHandshake: junk", () => {
  const junk: [string, Uint8Array][] = [
    ["an empty payload", new Uint8Array(0)],
    ["plain text", bin("hello")],
    ["a list", bin("li1ee")],
    ["an integer", bin("i42e")],
    ["a truncated dict", bin("d1:md11:ut_metadatai1e")],
    ["trailing bytes after the dict", bin("d1:mdeexyz")],
    ["a duplicate key", bin("d1:mde1:mdee")],
  ];
  for (const [what, payload] of junk) {
    test(`${what} is a WireError`, () => {
      expect(() => decodeExtendedHandshake(payload)).toThrow(WireError);
      expect(() => decodeExtendedHandshake(payload)).toThrow(/^extended handshake is not/);
    });
  }
});
