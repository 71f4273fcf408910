// Strict bencode decoder (BEP 3) that also reports the raw byte span of each top-level dictionary value,
// so the infoHash can be taken over the `info` bytes exactly as they appear. Pure; no I/O.
// The `bencode` package's decoder is lenient (leading zeros, trailing bytes, duplicate keys) and keeps no
// offsets, so decoding is done here; encoding goes through the package (encode.ts).

import { BencodeError, decodeUtf8Strict } from "../util/index.ts";

/** A bencoded value. Integers beyond 2^53 decode as bigint; byte strings stay bytes. */
export type BencodeValue = number | bigint | Uint8Array | BencodeValue[] | BencodeDict;
/** A dictionary; keys are decoded as latin1 so every byte string key maps to a distinct JS string. */
export type BencodeDict = Map<string, BencodeValue>;

/** Where a value lies in the input: bytes [start, end). */
export interface ByteSpan {
  readonly start: number;
  readonly end: number;
}

/** Integers and string lengths longer than this are refused (a bigint of a million digits is slow). */
export const MAX_NUMBER_CHARS = 64;
/** Nesting deeper than this is refused (protects the stack from hostile input). */
export const MAX_BENCODE_DEPTH = 64;

const I = 0x69; // 'i'
const L = 0x6c; // 'l'
const D = 0x64; // 'd'
const E = 0x65; // 'e'
const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;

class Decoder {
  pos = 0;
  readonly bytes: Uint8Array;
  /** Spans of the top-level dictionary's values, when the top level is a dictionary. */
  readonly topSpans = new Map<string, ByteSpan>();

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  fail(what: string, at = this.pos): never {
    throw new BencodeError(`${what} at byte ${at}`);
  }

  value(depth: number): BencodeValue {
    if (depth > MAX_BENCODE_DEPTH) this.fail(`nesting deeper than ${MAX_BENCODE_DEPTH}`);
    const c = this.bytes[this.pos];
    if (c === undefined) this.fail("unexpected end of data");
    if (c === I) return this.integer();
    if (c >= ZERO && c <= NINE) return this.string();
    if (c === L) return this.list(depth);
    if (c === D) return this.dict(depth);
    this.fail(`unexpected byte 0x${c.toString(16).padStart(2, "0")}`);
  }

  /** Reads digits up to `terminator`; rejects leading zeros, "-0" and empty numbers (canonical form). */
  digits(terminator: number, allowNegative: boolean): { text: string; end: number } {
    const start = this.pos;
    const end = this.bytes.indexOf(terminator, start);
    if (end < 0) this.fail(terminator === E ? "unterminated integer" : "unterminated string length", start);
    // A canonical 64-bit integer has at most 20 characters; far longer ones only cost time to convert.
    if (end - start > MAX_NUMBER_CHARS) this.fail(`number longer than ${MAX_NUMBER_CHARS} characters`, start);
    let text = "";
    for (let i = start; i < end; i++) text += String.fromCharCode(this.bytes[i]!);
    const negative = allowNegative && text.startsWith("-");
    const body = negative ? text.slice(1) : text;
    if (body.length === 0 || !/^[0-9]+$/.test(body)) this.fail(`invalid number "${text}"`, start);
    if (body.length > 1 && body[0] === "0") this.fail(`number with leading zero "${text}"`, start);
    if (negative && body === "0") this.fail(`negative zero`, start);
    this.pos = end + 1;
    return { text, end };
  }

  integer(): number | bigint {
    this.pos++; // 'i'
    const { text } = this.digits(E, true);
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }

  string(): Uint8Array {
    const start = this.pos;
    const { text } = this.digits(COLON, false);
    const length = Number(text);
    if (!Number.isSafeInteger(length) || this.pos + length > this.bytes.length) {
      this.fail(`string length ${text} runs past the end of data`, start);
    }
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  list(depth: number): BencodeValue[] {
    this.pos++; // 'l'
    const out: BencodeValue[] = [];
    while (this.bytes[this.pos] !== E) {
      if (this.pos >= this.bytes.length) this.fail("unterminated list");
      out.push(this.value(depth + 1));
    }
    this.pos++;
    return out;
  }

  dict(depth: number): BencodeDict {
    this.pos++; // 'd'
    const out: BencodeDict = new Map();
    const recordSpans = depth === 0;
    while (this.bytes[this.pos] !== E) {
      if (this.pos >= this.bytes.length) this.fail("unterminated dictionary");
      const c = this.bytes[this.pos]!;
      if (c < ZERO || c > NINE) this.fail("dictionary key is not a string");
      const keyAt = this.pos;
      const key = latin1(this.string());
      // Unsorted keys are tolerated (some creators emit them; the infoHash uses the raw bytes anyway), but
      // a repeated key would let two readers see different values, so it is refused.
      if (out.has(key)) this.fail(`duplicate dictionary key "${printable(key)}"`, keyAt);
      const start = this.pos;
      out.set(key, this.value(depth + 1));
      if (recordSpans) this.topSpans.set(key, { start, end: this.pos });
    }
    this.pos++;
    return out;
  }
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** A key for messages: its UTF-8 reading when valid, else escaped. */
function printable(key: string): string {
  const bytes = Uint8Array.from(key, (ch) => ch.charCodeAt(0));
  return decodeUtf8Strict(bytes) ?? JSON.stringify(key).slice(1, -1);
}

/** Decodes exactly one bencoded value filling `bytes`; throws BencodeError naming the byte offset. */
export function decodeBencode(bytes: Uint8Array): BencodeValue {
  return decodeWithSpans(bytes).value;
}

/**
 * Decodes one value and, when it is a dictionary, the byte span of each of its values
 * (e.g. `spans.get("info")` for the infoHash). Byte strings in the result are views into `bytes`.
 */
export function decodeWithSpans(bytes: Uint8Array): { value: BencodeValue; spans: ReadonlyMap<string, ByteSpan> } {
  const d = new Decoder(bytes);
  const value = d.value(0);
  if (d.pos !== bytes.length) d.fail(`${bytes.length - d.pos} trailing bytes after the value`);
  return { value, spans: d.topSpans };
}

/**
 * Decodes one value at the start of `bytes` and returns where it ends, allowing data after it
 * (BEP 9 metadata messages carry a dictionary followed by raw bytes).
 */
export function decodePrefix(bytes: Uint8Array): { value: BencodeValue; end: number } {
  const d = new Decoder(bytes);
  const value = d.value(0);
  return { value, end: d.pos };
}
