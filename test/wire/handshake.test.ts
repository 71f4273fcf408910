import { describe, expect, test } from "bun:test";
import { WireError, fromHex } from "../../src/util/index.ts";
import {
  HANDSHAKE_LENGTH,
  RESERVED_DHT,
  RESERVED_EXTENDED,
  RESERVED_FAST,
  decodeHandshake,
  encodeHandshake,
  hasReservedBit,
  makeReserved,
} from "../../src/wire/index.ts";

function hex(text: string): Uint8Array {
  const bytes = fromHex(text.replace(/\s+/g, ""));
  if (!bytes) throw new Error(`bad hex in test: ${text}`);
  return bytes;
}

const infoHash = hex("0102030405060708090a0b0c0d0e0f1011121314");
const peerId = hex("2d525030313030 2d 616263646566676869 6a6b6c") // "-RP0100-abcdefghijkl";

// BEP 3: <pstrlen=19><"BitTorrent protocol"><8 reserved><20 info_hash><20 peer_id>
const GOLDEN = hex(
  "13 426974546f7272656e742070726f746f636f6c" +
    "0000000000100005" +
    "0102030405060708090a0b0c0d0e0f1011121314" +
    "2d5250303130302d6162636465666768696a6b6c",
);

describe("handshake", () => {
  test("encodes the BEP 3 golden bytes", () => {
    const reserved = makeReserved({ extended: true, fast: true, dht: true });
    const bytes = encodeHandshake({ infoHash, peerId, reserved });
    expect(bytes.length).toBe(HANDSHAKE_LENGTH);
    expect(bytes).toEqual(GOLDEN);
  });

  test("reserved defaults to zeroes", () => {
    const bytes = encodeHandshake({ infoHash, peerId });
    expect(bytes.subarray(20, 28)).toEqual(new Uint8Array(8));
  });

  test("decodes the golden bytes into copies", () => {
    const input = new Uint8Array(GOLDEN);
    const hs = decodeHandshake(input);
    expect(hs.infoHash).toEqual(infoHash);
    expect(hs.peerId).toEqual(peerId);
    expect(hs.reserved).toEqual(hex("0000000000100005"));
    input.fill(0);
    expect(hs.infoHash).toEqual(infoHash);
  });

  test("decoding a Node Buffer view still copies", () => {
    const buf = Buffer.from(GOLDEN);
    const hs = decodeHandshake(buf);
    buf.fill(0);
    expect(hs.peerId).toEqual(peerId);
  });

  test("round trips", () => {
    const reserved = makeReserved({ fast: true });
    expect(decodeHandshake(encodeHandshake({ infoHash, peerId, reserved }))).toEqual({ infoHash, peerId, reserved });
  });

  test("rejects a wrong pstrlen", () => {
    const bad = new Uint8Array(GOLDEN);
    bad[0] = 18;
    expect(() => decodeHandshake(bad)).toThrow(new WireError("handshake has wrong protocol string length: 18 != 19"));
  });

  test("rejects a wrong protocol string", () => {
    const bad = new Uint8Array(GOLDEN);
    bad[10] = 0x58; // "BitTorrenX protocol"
    expect(() => decodeHandshake(bad)).toThrow(
      new WireError('handshake has wrong protocol string: "BitTorrenX protocol" != "BitTorrent protocol"'),
    );
  });

  test("rejects a wrong total length", () => {
    expect(() => decodeHandshake(GOLDEN.subarray(0, 67))).toThrow(new WireError("handshake has wrong length: 67 != 68"));
  });

  test("refuses to encode wrong-sized ids", () => {
    expect(() => encodeHandshake({ infoHash: new Uint8Array(19), peerId })).toThrow(RangeError);
    expect(() => encodeHandshake({ infoHash, peerId: new Uint8Array(21) })).toThrow(RangeError);
    expect(() => encodeHandshake({ infoHash, peerId, reserved: new Uint8Array(7) })).toThrow(RangeError);
  });
});

describe("reserved bits", () => {
  test.each([
    ["fast (BEP 6)", { fast: true }, "0000000000000004", RESERVED_FAST],
    ["extended (BEP 10)", { extended: true }, "0000000000100000", RESERVED_EXTENDED],
    ["dht (BEP 5)", { dht: true }, "0000000000000001", RESERVED_DHT],
  ] as const)("%s", (_name, flags, expected, bit) => {
    const reserved = makeReserved(flags);
    expect(reserved).toEqual(hex(expected));
    expect(hasReservedBit(reserved, bit)).toBe(true);
    for (const other of [RESERVED_FAST, RESERVED_EXTENDED, RESERVED_DHT]) {
      if (other !== bit) expect(hasReservedBit(reserved, other)).toBe(false);
    }
  });

  test("nothing set by default", () => {
    expect(makeReserved({})).toEqual(new Uint8Array(8));
  });

  test("other bits do not confuse the check", () => {
    const reserved = hex("fffffffffffffffa"); // everything but the DHT and fast bits
    expect(hasReservedBit(reserved, RESERVED_DHT)).toBe(false);
    expect(hasReservedBit(reserved, RESERVED_FAST)).toBe(false);
    expect(hasReservedBit(reserved, RESERVED_EXTENDED)).toBe(true);
  });
});
