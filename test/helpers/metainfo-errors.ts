// Test helper: assert that parseMetainfo refuses a torrent with a MetainfoError naming a given field.
// Pure; no I/O.

import { expect } from "bun:test";
import { parseMetainfo } from "../../src/metainfo/index.ts";
import { MetainfoError } from "../../src/util/index.ts";

/** Parses `bytes`, expecting a MetainfoError; returns it. */
export function metainfoError(bytes: Uint8Array): MetainfoError {
  try {
    parseMetainfo(bytes);
  } catch (err) {
    if (err instanceof MetainfoError) return err;
    throw err;
  }
  throw new Error("expected parseMetainfo to refuse the torrent, but it parsed");
}

/**
 * Expects parseMetainfo to refuse `bytes` with `err.field === field`, a message that starts with
 * "<field>: " (the convention every parser error follows) and, when given, matches `message`.
 */
export function expectRefused(bytes: Uint8Array, field: string, message?: RegExp): void {
  const err = metainfoError(bytes);
  expect(err.field).toBe(field);
  expect(err.message.startsWith(`${field}: `)).toBe(true);
  if (message) expect(err.message).toMatch(message);
}
