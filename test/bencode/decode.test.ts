import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  MAX_BENCODE_DEPTH,
  type BencodeValue,
  decodeBencode,
  decodePrefix,
  decodeWithSpans,
  encodeBencode,
} from "../../src/bencode/index.ts";
import { BencodeError, sha1, toHex, utf8 } from "../../src/util/index.ts";

const latin1 = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0));
const decode = (text: string) => decodeBencode(latin1(text));

function decodeError(text: string): BencodeError {
  try {
    decode(text);
  } catch (err) {
    expect(err).toBeInstanceOf(BencodeError);
    return err as BencodeError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe("decodeBencode accepts canonical values", () => {
  test("decodes the BEP 3 examples", () => {
    expect(decode("4:spam")).toEqual(utf8("spam"));
    expect(decode("i3e")).toBe(3);
    expect(decode("i-3e")).toBe(-3);
    expect(decode("i0e")).toBe(0);
    expect(decode("l4:spam4:eggse")).toEqual([utf8("spam"), utf8("eggs")]);
    expect(decode("d3:cow3:moo4:spam4:eggse")).toEqual(new Map<string, BencodeValue>([["cow", utf8("moo")], ["spam", utf8("eggs")]]));
    expect(decode("d4:spaml1:a1:bee")).toEqual(new Map<string, BencodeValue>([["spam", [utf8("a"), utf8("b")]]]));
  });

  test("decodes empty strings, lists and dictionaries", () => {
    expect(decode("0:")).toEqual(new Uint8Array(0));
    expect(decode("le")).toEqual([]);
    expect(decode("de")).toEqual(new Map());
    expect(decode("lledee")).toEqual([[], new Map()]);
  });

  test("keeps byte strings as raw bytes, NUL and 0xff included", () => {
    expect(decode("3:\x00\xff\x00")).toEqual(new Uint8Array([0, 0xff, 0]));
  });

  test("byte strings are views into the input", () => {
    const input = latin1("l3:abce");
    const list = decodeBencode(input) as Uint8Array[];
    expect(list[0]!.buffer).toBe(input.buffer);
    expect(list[0]!.byteOffset).toBe(3);
  });

  test("integers up to 2^53 - 1 are numbers, larger ones bigints", () => {
    expect(decode("i9007199254740991e")).toBe(Number.MAX_SAFE_INTEGER);
    expect(decode("i-9007199254740991e")).toBe(-Number.MAX_SAFE_INTEGER);
    expect(decode("i9007199254740992e")).toBe(9007199254740992n);
    expect(decode("i-9007199254740993e")).toBe(-9007199254740993n);
    expect(decode("i123456789012345678901234567890e")).toBe(123456789012345678901234567890n);
  });

  test("dictionary keys are latin1, so every byte string key stays distinct", () => {
    const dict = decode("d1:\xffi1e2:\xc3\xa9i2ee") as Map<string, BencodeValue>;
    expect([...dict.keys()]).toEqual(["\xff", "\xc3\xa9"]);
  });

  test("tolerates unsorted dictionary keys", () => {
    expect(decode("d1:bi1e1:ai2ee")).toEqual(new Map<string, BencodeValue>([["b", 1], ["a", 2]]));
  });

  test(`accepts nesting up to MAX_BENCODE_DEPTH (${MAX_BENCODE_DEPTH}) below the top level`, () => {
    const depth = MAX_BENCODE_DEPTH + 1; // the top-level list is depth 0
    let v = decode("l".repeat(depth) + "e".repeat(depth));
    for (let i = 1; i < depth; i++) v = (v as BencodeValue[])[0]!;
    expect(v).toEqual([]);
  });
});

describe("decodeBencode refuses non-canonical and malformed input", () => {
  const cases: [input: string, message: RegExp][] = [
    ["", /unexpected end of data at byte 0/],
    ["i03e", /leading zero "03" at byte 1/],
    ["i-03e", /leading zero/],
    ["03:abc", /leading zero "03" at byte 0/],
    ["i-0e", /negative zero at byte 1/],
    ["ie", /invalid number "" at byte 1/],
    ["i-e", /invalid number "-"/],
    ["i+1e", /invalid number "\+1"/],
    ["i1.5e", /invalid number "1.5"/],
    ["i 1e", /invalid number " 1"/],
    ["-1:a", /unexpected byte 0x2d at byte 0/],
    ["i12", /unterminated integer at byte 1/],
    ["3", /unterminated string length at byte 0/],
    ["3:ab", /string length 3 runs past the end of data at byte 0/],
    ["99999999999999999999:a", /string length 99999999999999999999 runs past the end/],
    ["l", /unterminated list at byte 1/],
    ["li1e", /unterminated list at byte 4/],
    ["d", /unterminated dictionary at byte 1/],
    ["d1:ai1e", /unterminated dictionary at byte 7/],
    ["d1:a", /unexpected end of data at byte 4/],
    ["d1:ae", /unexpected byte 0x65 at byte 4/],
    ["di1ei2ee", /dictionary key is not a string at byte 1/],
    ["dlei1ee", /dictionary key is not a string/],
    ["d1:ai1e1:ai2ee", /duplicate dictionary key "a" at byte 7/],
    ["i1ei2e", /3 trailing bytes after the value at byte 3/],
    ["4:spamx", /1 trailing bytes/],
    ["x", /unexpected byte 0x78 at byte 0/],
    [`i${"9".repeat(65)}e`, /number longer than 64 characters at byte 1/],
    [`${"1".repeat(65)}:a`, /number longer than 64 characters at byte 0/],
  ];
  for (const [input, message] of cases) {
    test(`${JSON.stringify(input)} -> ${message.source}`, () => {
      expect(decodeError(input).message).toMatch(message);
    });
  }

  test("names the offset of a bad value deep inside a structure", () => {
    expect(decodeError("li1ei03ee").message).toMatch(/leading zero "03" at byte 5/);
  });

  test("refuses nesting one level past MAX_BENCODE_DEPTH", () => {
    const depth = MAX_BENCODE_DEPTH + 2;
    expect(decodeError("l".repeat(depth) + "e".repeat(depth)).message).toMatch(/nesting deeper than 64/);
  });

  test("refuses hostile nesting without overflowing the stack", () => {
    expect(decodeError("d1:a".repeat(100_000)).message).toMatch(/nesting deeper than/);
    expect(decodeError("l".repeat(1_000_000)).message).toMatch(/nesting deeper than/);
  });

  test("a duplicate key that is not UTF-8 is shown with its control bytes escaped", () => {
    expect(decodeError("d2:\x00\xffi1e2:\x00\xffi2ee").message).toMatch(/duplicate dictionary key "\\u0000\xff" at byte 8/);
  });
});

describe("decodeWithSpans", () => {
  test("reports the raw byte span of each top-level dictionary value", () => {
    const input = latin1("d1:ai1e4:infod4:name1:xe1:zli1ei2eee");
    const { value, spans } = decodeWithSpans(input);
    expect(value).toBeInstanceOf(Map);
    const text = (key: string) => {
      const s = spans.get(key)!;
      return String.fromCharCode(...input.subarray(s.start, s.end));
    };
    expect(text("a")).toBe("i1e");
    expect(text("info")).toBe("d4:name1:xe");
    expect(text("z")).toBe("li1ei2ee");
    expect([...spans.keys()]).toEqual(["a", "info", "z"]);
  });

  test("keeps the info bytes exactly as written, even when keys are unsorted", () => {
    // A re-encoded info dict would sort "b" before "z" and change the hash.
    const input = latin1("d4:infod1:zi1e1:bi2eee");
    const span = decodeWithSpans(input).spans.get("info")!;
    const raw = input.subarray(span.start, span.end);
    expect(String.fromCharCode(...raw)).toBe("d1:zi1e1:bi2ee");
    expect(raw).not.toEqual(encodeBencode({ z: 1, b: 2 }));
  });

  test("the info span of a mktorrent file hashes to the infoHash transmission-show reports", () => {
    const bytes = new Uint8Array(readFileSync(join(import.meta.dir, "../fixtures/mktorrent-multi.torrent")));
    const span = decodeWithSpans(bytes).spans.get("info")!;
    expect(toHex(sha1(bytes.subarray(span.start, span.end)))).toBe("6839125f837d8d3a888fee4c78711e6b2d033f1a");
  });

  test("records spans of the top level only", () => {
    const { spans } = decodeWithSpans(latin1("d1:ad1:bi1eee"));
    expect([...spans.keys()]).toEqual(["a"]);
  });

  test("reports no spans when the top level is not a dictionary", () => {
    expect(decodeWithSpans(latin1("ld1:ai1eee")).spans.size).toBe(0);
  });

  test("is as strict as decodeBencode", () => {
    expect(() => decodeWithSpans(latin1("d4:infodee1:x"))).toThrow(BencodeError);
  });
});

describe("decodePrefix", () => {
  test("decodes one value and returns where it ends, leaving the rest (BEP 9 metadata piece)", () => {
    const input = new Uint8Array([...latin1("d8:msg_typei1e5:piecei0ee"), 0x00, 0x64, 0x65]);
    const { value, end } = decodePrefix(input);
    expect(value).toEqual(new Map<string, BencodeValue>([["msg_type", 1], ["piece", 0]]));
    expect(end).toBe(input.length - 3);
  });

  test("ends at the input length when nothing follows", () => {
    expect(decodePrefix(latin1("i42e"))).toEqual({ value: 42, end: 4 });
  });

  test("refuses a malformed or truncated prefix", () => {
    expect(() => decodePrefix(new Uint8Array(0))).toThrow(/unexpected end of data/);
    expect(() => decodePrefix(latin1("d8:msg_typei1e"))).toThrow(/unterminated dictionary/);
    expect(() => decodePrefix(latin1("i01eXYZ"))).toThrow(/leading zero/);
  });
});
