import { describe, expect, test } from "bun:test";
import { type BencodeValue, decodeBencode, encodeBencode, type EncodableValue } from "../../src/bencode/index.ts";
import { utf8 } from "../../src/util/index.ts";

const latin1 = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0));
const encodeText = (v: EncodableValue) => String.fromCharCode(...encodeBencode(v));

describe("encodeBencode", () => {
  test("produces the BEP 3 golden bytes", () => {
    expect(encodeText("spam")).toBe("4:spam");
    expect(encodeText(3)).toBe("i3e");
    expect(encodeText(-3)).toBe("i-3e");
    expect(encodeText(0)).toBe("i0e");
    expect(encodeText(["spam", "eggs"])).toBe("l4:spam4:eggse");
    expect(encodeText({ cow: "moo", spam: "eggs" })).toBe("d3:cow3:moo4:spam4:eggse");
    expect(encodeText({ spam: ["a", "b"] })).toBe("d4:spaml1:a1:bee");
  });

  test("encodes empty strings, lists and dictionaries", () => {
    expect(encodeText("")).toBe("0:");
    expect(encodeText([])).toBe("le");
    expect(encodeText({})).toBe("de");
    expect(encodeText(new Map())).toBe("de");
  });

  test("sorts dictionary keys, for objects and Maps alike", () => {
    expect(encodeText({ b: 1, a: 2, "piece length": 3, pieces: "" })).toBe("d1:ai2e1:bi1e12:piece lengthi3e6:pieces0:e");
    expect(encodeText(new Map<string, EncodableValue>([["z", 1], ["a", 2]]))).toBe("d1:ai2e1:zi1ee");
  });

  test("writes byte strings raw and text as UTF-8", () => {
    expect(encodeBencode(new Uint8Array([0, 0xff, 0]))).toEqual(latin1("3:\x00\xff\x00"));
    expect(encodeBencode("é")).toEqual(latin1("2:\xc3\xa9"));
  });

  test("leaves out undefined dictionary entries", () => {
    expect(encodeText({ a: 1, b: undefined, c: 2 })).toBe("d1:ai1e1:ci2ee");
  });

  test("encodes the largest safe integers exactly", () => {
    expect(encodeText(Number.MAX_SAFE_INTEGER)).toBe("i9007199254740991e");
    expect(encodeText([-Number.MAX_SAFE_INTEGER])).toBe("li-9007199254740991ee");
  });

  const notSafe: [string, number][] = [
    ["a fraction", 1.5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["2^53", 2 ** 53],
  ];
  for (const [what, n] of notSafe) {
    test(`refuses ${what} at the top level and at any depth instead of truncating it`, () => {
      expect(() => encodeBencode(n)).toThrow(RangeError);
      expect(() => encodeBencode([1, [n]])).toThrow(/bencode integers must be safe integers/);
      expect(() => encodeBencode({ info: { length: n } })).toThrow(RangeError);
      expect(() => encodeBencode(new Map([["a", n]]))).toThrow(RangeError);
    });
  }

  test("round-trips through decodeBencode", () => {
    const value = { announce: "http://127.0.0.1/a", info: { length: 5, name: "x", pieces: new Uint8Array(20) }, list: [1, -2, ["n"]] };
    const decoded = decodeBencode(encodeBencode(value));
    expect(decoded).toEqual(
      new Map<string, BencodeValue>([
        ["announce", utf8("http://127.0.0.1/a")],
        ["info", new Map<string, BencodeValue>([["length", 5], ["name", utf8("x")], ["pieces", new Uint8Array(20)]])],
        ["list", [1, -2, [utf8("n")]]],
      ]),
    );
  });

  test("re-encoding a decoded canonical value with ASCII keys gives back the same bytes", () => {
    const canonical = latin1("d4:infod6:lengthi5e4:name1:x6:pieces20:" + "\x00".repeat(20) + "e3:keyli-1ei0eee");
    expect(encodeBencode(decodeBencode(canonical) as EncodableValue)).toEqual(canonical);
  });
});
