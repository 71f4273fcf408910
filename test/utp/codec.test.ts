import { describe, expect, test } from "bun:test";
import { ST_DATA, ST_STATE, ST_SYN, buildSack, decodePacket, encodePacket, sackedSeqs, seqAdd, seqDiff, seqLess, type UtpPacket } from "../../src/utp/index.ts";
import { UtpError } from "../../src/util/index.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("uTP header (BEP 29)", () => {
  const syn: UtpPacket = { type: ST_SYN, connectionId: 0x1234, timestampUs: 0x01020304, timestampDiffUs: 0, windowBytes: 0x100000, seq: 1, ack: 0, payload: new Uint8Array(0) };

  test("golden bytes: type and version in the first byte, big-endian fields", () => {
    expect(hex(encodePacket(syn))).toBe("41" + "00" + "1234" + "01020304" + "00000000" + "00100000" + "0001" + "0000");
  });

  test("a selective ack rides as extension 1 with its length, before the payload", () => {
    const p: UtpPacket = { ...syn, type: ST_DATA, sack: new Uint8Array([0x05, 0, 0, 0x80]), payload: new Uint8Array([0xaa, 0xbb]) };
    const bytes = encodePacket(p);
    expect(hex(bytes.subarray(0, 2))).toBe("0101");
    expect(hex(bytes.subarray(20))).toBe("0004" + "05000080" + "aabb");
    const back = decodePacket(bytes);
    expect(back).toMatchObject({ type: ST_DATA, connectionId: 0x1234, timestampUs: 0x01020304, windowBytes: 0x100000, seq: 1, ack: 0 });
    expect(hex(back.sack!)).toBe("05000080");
    expect(hex(back.payload)).toBe("aabb");
  });

  test("unknown extensions are skipped; a chain running past the packet is refused", () => {
    const bytes = encodePacket({ ...syn, type: ST_STATE });
    const withExt = new Uint8Array([...bytes.subarray(0, 20), 0, 2, 9, 9, 0xcc]);
    withExt[1] = 3; // libtorrent's close reason
    expect(hex(decodePacket(withExt).payload)).toBe("cc");
    withExt[21] = 200;
    expect(() => decodePacket(withExt)).toThrow(UtpError);
  });

  test("bad version, unknown type, short header and odd selective ack lengths are UtpErrors", () => {
    const good = encodePacket(syn);
    const v2 = good.slice();
    v2[0] = 0x42;
    const type9 = good.slice();
    type9[0] = 0x91;
    const oddSack = new Uint8Array([...good.subarray(0, 20), 0, 3, 1, 2, 3]);
    oddSack[1] = 1;
    for (const bad of [v2, type9, good.subarray(0, 19), oddSack]) expect(() => decodePacket(bad)).toThrow(UtpError);
  });
});

describe("16-bit sequence numbers", () => {
  test("differences and order wrap around 65535 -> 0", () => {
    expect(seqAdd(0xffff, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(0xffff);
    expect(seqDiff(2, 0xfffe)).toBe(4);
    expect(seqDiff(0xfffe, 2)).toBe(-4);
    expect(seqLess(0xfff0, 0x0010)).toBe(true);
    expect(seqLess(0x0010, 0xfff0)).toBe(false);
    expect(seqDiff(0x8000, 0)).toBe(-0x8000);
  });

  test("selective ack bitmask: bit i acknowledges ack + 2 + i, across the wrap", () => {
    const ack = 0xfffe;
    const sack = buildSack(ack, [0, 3, 0xffff + 0 /* = ack + 1, not in the mask */, 40])!;
    expect(sack.length).toBe(8);
    expect(sackedSeqs(ack, sack)).toEqual([0, 3, 40]);
    expect(buildSack(ack, [0xffff])).toBeUndefined();
  });
});
