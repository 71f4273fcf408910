import { describe, expect, test } from "bun:test";
import { HASHES_ID, HASH_REJECT_ID, HASH_REQUEST_ID, decodeHashRequest, decodeHashes, decodeMessage, encodeHashReject, encodeHashRequest, encodeHashes } from "../../src/wire/index.ts";
import { WireError, toHex } from "../../src/util/index.ts";

const root = Uint8Array.from({ length: 32 }, (_, i) => i);
const req = { piecesRoot: root, baseLayer: 2, index: 512, length: 128, proofLayers: 9 };

describe("BEP 52 hash messages", () => {
  test("hash request: golden bytes (length, id 21, root, four uint32)", () => {
    const bytes = encodeHashRequest(req);
    expect(toHex(bytes)).toBe(`00000031${"15"}${toHex(root)}00000002${"00000200"}${"00000080"}00000009`);
    const msg = decodeMessage(bytes[4]!, bytes.subarray(5));
    expect(msg).toMatchObject({ type: "unknown", id: HASH_REQUEST_ID });
    expect(decodeHashRequest(bytes.subarray(5))).toEqual(req);
  });

  test("hashes carry the request then the hashes; hash reject is the request under id 23", () => {
    const hashes = new Uint8Array(64).fill(0xab);
    const bytes = encodeHashes(req, hashes);
    expect(bytes[4]).toBe(HASHES_ID);
    expect(new DataView(bytes.buffer).getUint32(0)).toBe(1 + 48 + 64);
    const back = decodeHashes(bytes.subarray(5));
    expect(back.request).toEqual(req);
    expect(toHex(back.hashes)).toBe(toHex(hashes));
    const reject = encodeHashReject(req);
    expect(reject[4]).toBe(HASH_REJECT_ID);
    expect(toHex(reject.subarray(5))).toBe(toHex(encodeHashRequest(req).subarray(5)));
  });

  test("wrong payload lengths are WireErrors naming the message", () => {
    expect(() => decodeHashRequest(new Uint8Array(47))).toThrow(WireError);
    expect(() => decodeHashRequest(new Uint8Array(49), "hash reject")).toThrow(/hash reject payload is 49 bytes, expected 48/);
    expect(() => decodeHashes(new Uint8Array(48 + 31))).toThrow(/whole 32-byte hashes/);
    expect(() => encodeHashes(req, new Uint8Array(31))).toThrow(RangeError);
  });
});
