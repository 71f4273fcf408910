import { describe, expect, test } from "bun:test";
import { WireError } from "../../src/util/index.ts";
import { Bitfield, bitfieldByteLength } from "../../src/wire/index.ts";

/** A bitfield from a have-map string: "*" = has the piece, anything else = not. */
function fromMap(map: string): Bitfield {
  const bf = new Bitfield(map.length);
  [...map].forEach((c, i) => c === "*" && bf.set(i));
  return bf;
}

function toMap(bf: Bitfield): string {
  let out = "";
  for (let i = 0; i < bf.length; i++) out += bf.has(i) ? "*" : " ";
  return out;
}

describe("Bitfield", () => {
  test("piece 0 is the high bit of byte 0 (BEP 3)", () => {
    expect(fromMap("*").toBytes()).toEqual(new Uint8Array([0x80]));
    expect(fromMap("       *").toBytes()).toEqual(new Uint8Array([0x01]));
    expect(fromMap("* *     *         ").toBytes()).toEqual(new Uint8Array([0xa0, 0x80, 0x00]));
  });

  test("fromBytes reads the same order", () => {
    expect(toMap(Bitfield.fromBytes(new Uint8Array([0xa0, 0x80, 0x40]), 18))).toBe("* *     *        *");
  });

  test("byte length is ceil(pieces / 8)", () => {
    expect([0, 1, 8, 9, 16, 17].map(bitfieldByteLength)).toEqual([0, 1, 1, 2, 2, 3]);
  });

  test("count is tracked through set and clear", () => {
    const bf = new Bitfield(10);
    expect(bf.count).toBe(0);
    expect(bf.isEmpty()).toBe(true);
    expect(bf.set(3)).toBe(true);
    expect(bf.set(3)).toBe(false);
    expect(bf.set(9)).toBe(true);
    expect(bf.count).toBe(2);
    expect(bf.clear(3)).toBe(true);
    expect(bf.clear(3)).toBe(false);
    expect(bf.count).toBe(1);
    expect(toMap(bf)).toBe("         *");
  });

  test("count of bytes from the wire", () => {
    expect(Bitfield.fromBytes(new Uint8Array([0xff, 0x7f, 0x80]), 17).count).toBe(16);
  });

  test("isFull and full()", () => {
    const bf = fromMap("*** ");
    expect(bf.isFull()).toBe(false);
    bf.set(3);
    expect(bf.isFull()).toBe(true);
    const full = Bitfield.full(11);
    expect(full.count).toBe(11);
    expect(full.isFull()).toBe(true);
    expect(full.toBytes()).toEqual(new Uint8Array([0xff, 0xe0]));
    expect(Bitfield.full(16).toBytes()).toEqual(new Uint8Array([0xff, 0xff]));
    expect(Bitfield.full(0).isFull()).toBe(true);
  });

  test("has() is false outside the range; set/clear throw RangeError", () => {
    const bf = Bitfield.full(9);
    expect(bf.has(-1)).toBe(false);
    expect(bf.has(9)).toBe(false);
    expect(bf.has(15)).toBe(false);
    expect(() => bf.set(9)).toThrow(RangeError);
    expect(() => bf.clear(-1)).toThrow(RangeError);
    expect(() => bf.set(1.5)).toThrow(RangeError);
  });

  test("wrong byte length is a WireError", () => {
    expect(() => Bitfield.fromBytes(new Uint8Array(2), 17)).toThrow(
      new WireError("bitfield has wrong length: 2 bytes for 17 pieces (expected 3)"),
    );
    expect(() => Bitfield.fromBytes(new Uint8Array(4), 17)).toThrow(
      new WireError("bitfield has wrong length: 4 bytes for 17 pieces (expected 3)"),
    );
  });

  test("spare bits past the last piece are a WireError", () => {
    expect(() => Bitfield.fromBytes(new Uint8Array([0xff, 0xff, 0x40]), 17)).toThrow(
      new WireError("bitfield has spare bits set: last byte 0x40 for 17 pieces"),
    );
    expect(() => Bitfield.fromBytes(new Uint8Array([0x01]), 7)).toThrow(WireError);
    expect(Bitfield.fromBytes(new Uint8Array([0xfe]), 7).count).toBe(7);
    expect(Bitfield.fromBytes(new Uint8Array([0xff]), 8).count).toBe(8);
  });

  test("fromBytes copies its input; toBytes returns a copy", () => {
    const bytes = new Uint8Array([0x80]);
    const bf = Bitfield.fromBytes(bytes, 3);
    bytes[0] = 0;
    expect(bf.has(0)).toBe(true);
    bf.toBytes()[0] = 0;
    expect(bf.has(0)).toBe(true);
  });

  test("clone is independent", () => {
    const a = fromMap("* *");
    const b = a.clone();
    b.set(1);
    expect(toMap(a)).toBe("* *");
    expect(toMap(b)).toBe("***");
    expect(b.count).toBe(3);
  });

  test("indices lists set pieces in order", () => {
    expect([...fromMap(" **     * ").indices()]).toEqual([1, 2, 8]);
  });
});
