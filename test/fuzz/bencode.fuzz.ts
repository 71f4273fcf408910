// Fuzz targets for the bencode decoder (decodeBencode, decodeWithSpans, decodePrefix) and encoder.
// Pure; run by test/fuzz/decoders.test.ts and scripts/fuzz.ts.

import fc from "fast-check";
import { type EncodableValue, decodeBencode, decodePrefix, decodeWithSpans, encodeBencode } from "../../src/bencode/index.ts";
import { BencodeError, utf8 } from "../../src/util/index.ts";
import { bencodeTree, canonicalEncode, expectEqual, expectOnly, hostileBencode, mutatedBytes, target } from "../helpers/fuzz.ts";

/** Token soup: bencode's syntax in random order, with the edge cases (-0, leading zeros, huge lengths). */
const tokens = fc
  .array(
    fc.constantFrom("i", "e", "l", "d", ":", "-", "0", "1", "9", "i0e", "i-1e", "i-0e", "i01e", "0:", "1:a", "4:spam", "de", "le", "d1:a", "99999999999999999999:", "l".repeat(70)),
    { maxLength: 64 },
  )
  .map((t) => utf8(t.join("")));

const hostile = fc.oneof(hostileBencode(bencodeTree), tokens, mutatedBytes(tokens));

/**
 * Keys encodeBencode writes in canonical (byte) order. The `bencode` package sorts keys as UTF-16, which
 * differs from UTF-8 byte order only between U+E000-U+FFFF and astral characters; ripple's own keys are
 * ASCII, so keys here stay below U+D800.
 */
const encodableKey = fc.string({ unit: fc.integer({ min: 0, max: 0xd7ff }).map((c) => String.fromCharCode(c)), maxLength: 6 });

/** Plain-JS values encodeBencode takes: text keys and values (UTF-8 on the wire), safe integers, bytes. */
const encodable: fc.Arbitrary<EncodableValue> = fc.letrec<{ value: EncodableValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.uniqueArray(fc.tuple(encodableKey, tie("value")), { maxLength: 4, selector: ([k]) => k }).map((e) => new Map(e)),
  ),
})).value;

/** What decodeBencode gives for an encodable value: text as UTF-8 bytes, keys as the latin1 of their UTF-8. */
function expectedTree(v: EncodableValue): unknown {
  if (typeof v === "string") return utf8(v);
  if (typeof v === "number" || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(expectedTree);
  const entries = v instanceof Map ? [...v] : Object.entries(v);
  const latin1 = (s: string) => String.fromCharCode(...utf8(s));
  return new Map(entries.map(([k, x]) => [latin1(k), expectedTree(x as EncodableValue)]));
}

export const bencodeTargets = [
  target("decodeBencode throws only BencodeError", hostile, (bytes) => {
    const value = expectOnly([BencodeError], () => decodeBencode(bytes));
    if (value === undefined) return;
    // Anything accepted re-encodes canonically to bytes that decode to the same value.
    expectEqual(decodeBencode(canonicalEncode(value)), value, "re-decoded canonical form");
  }),

  target("decodeWithSpans: every top-level span holds exactly its value", hostile, (bytes) => {
    const decoded = expectOnly([BencodeError], () => decodeWithSpans(bytes));
    if (decoded === undefined || !(decoded.value instanceof Map)) return;
    for (const [key, span] of decoded.spans) {
      expectEqual(decodeBencode(bytes.subarray(span.start, span.end)), decoded.value.get(key), `span of "${key}"`);
    }
  }),

  target("decodePrefix: a value followed by anything ends where the value ends", fc.tuple(bencodeTree, fc.uint8Array({ maxLength: 32 })), ([tree, rest]) => {
    const encoded = canonicalEncode(tree);
    const bytes = new Uint8Array([...encoded, ...rest]);
    const result = expectOnly([BencodeError], () => decodePrefix(bytes));
    if (result === undefined) throw new Error("a valid value followed by bytes was refused");
    expectEqual(result.end, encoded.length, "end");
    expectEqual(result.value, tree, "value");
  }),

  target("decodePrefix throws only BencodeError, and its end lies inside the input", hostile, (bytes) => {
    const result = expectOnly([BencodeError], () => decodePrefix(bytes));
    if (result === undefined) return;
    if (result.end < 1 || result.end > bytes.length) throw new Error(`end ${result.end} outside 1..${bytes.length}`);
    expectEqual(decodeBencode(bytes.subarray(0, result.end)), result.value, "the prefix alone");
  }),

  target("canonical bytes round-trip exactly (decode then encode)", bencodeTree, (tree) => {
    const bytes = canonicalEncode(tree);
    const value = expectOnly([BencodeError], () => decodeBencode(bytes));
    expectEqual(value, tree, "decoded");
    expectEqual(canonicalEncode(value!), bytes, "re-encoded");
  }),

  target("encodeBencode -> decodeBencode gives the value back", encodable, (value) => {
    const bytes = encodeBencode(value);
    expectEqual(decodeBencode(bytes), expectedTree(value), "decoded");
    expectEqual(canonicalEncode(decodeBencode(bytes)), bytes, "encodeBencode output is canonical");
  }),
];
