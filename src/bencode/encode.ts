// Bencode encoding through the `bencode` package, restricted to the value shapes ripple produces. Pure.

import bencode from "bencode";

/** What encodeBencode takes: dictionaries as plain objects or Maps (keys sorted on output), lists, bytes. */
export type EncodableValue =
  | number
  | string
  | Uint8Array
  | readonly EncodableValue[]
  | { readonly [key: string]: EncodableValue | undefined }
  | ReadonlyMap<string, EncodableValue>;

/** Encodes a value; dictionary keys come out sorted (BEP 3), undefined entries are left out. */
export function encodeBencode(value: EncodableValue): Uint8Array {
  assertSafeIntegers(value);
  return bencode.encode(value);
}

/** The package truncates a non-integer to an integer with only a console warning; refuse one at any depth. */
function assertSafeIntegers(value: EncodableValue | undefined): void {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`bencode integers must be safe integers, got ${value}`);
    return;
  }
  if (value === undefined || typeof value === "string" || value instanceof Uint8Array) return;
  const children: Iterable<EncodableValue | undefined> =
    value instanceof Map ? value.values() : Array.isArray(value) ? value : Object.values(value);
  for (const child of children) assertSafeIntegers(child);
}
