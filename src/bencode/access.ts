// Typed access to decoded bencode values, for validating parsers (metainfo, tracker replies, KRPC).
// Each getter names the field in its error, e.g. `info.piece length: expected an integer`. Pure.

import { decodeUtf8Strict } from "../util/index.ts";
import type { BencodeDict, BencodeValue } from "./decode.ts";

export function isDict(v: BencodeValue | undefined): v is BencodeDict {
  return v instanceof Map;
}

export function isBytes(v: BencodeValue | undefined): v is Uint8Array {
  return v instanceof Uint8Array;
}

/** Bytes holding valid UTF-8 as a string, else undefined. */
export function bytesToText(v: BencodeValue | undefined): string | undefined {
  return isBytes(v) ? decodeUtf8Strict(v) : undefined;
}

/** A short description of a value's type for error messages ("a list", "the integer 5"). */
export function describeValue(v: BencodeValue | undefined): string {
  if (v === undefined) return "nothing";
  if (typeof v === "number" || typeof v === "bigint") return `the integer ${v}`;
  if (v instanceof Uint8Array) return `a ${v.length}-byte string`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return "a dictionary";
}
