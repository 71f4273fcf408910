// Shared parsing of CLI option values: repeated flags, integers, peer addresses. Pure.

import { RippleError, parsePeerAddress, type PeerAddress } from "../util/index.ts";

/** citty gives a repeated string flag as an array and a single one as a string. */
export function listOption(value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

export function intOption(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new RippleError("USAGE", `--${name}: expected an integer from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

export function peerOptions(value: unknown): PeerAddress[] {
  return listOption(value).map((text) => {
    try {
      return parsePeerAddress(text);
    } catch (err) {
      throw new RippleError("USAGE", `--peer: ${(err as Error).message}`);
    }
  });
}
