// Bencoded dictionaries whose keys are arbitrary bytes, sorted as bytes (BEP 3): BEP 52 file trees and
// `piece layers` (keyed by 32-byte roots), which the `bencode` package would mangle. Pure; no I/O.

import { encodeBencode } from "../bencode/index.ts";
import { fromHex, utf8 } from "../util/index.ts";

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A dictionary of already-encoded values, keys sorted by their bytes, whatever they hold. */
export function encodeRawDict(entries: readonly (readonly [Uint8Array | string, Uint8Array])[]): Uint8Array {
  const keyed = entries.map(([k, v]) => [typeof k === "string" ? utf8(k) : k, v] as const);
  keyed.sort((a, b) => compareBytes(a[0], b[0]));
  const parts: Uint8Array[] = [utf8("d")];
  for (const [k, v] of keyed) parts.push(utf8(`${k.length}:`), k, v);
  parts.push(utf8("e"));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** BEP 52 `piece layers`: layers by hex pieces root -> the bencoded dictionary keyed by the raw roots. */
export function encodePieceLayers(layers: ReadonlyMap<string, Uint8Array>): Uint8Array {
  return encodeRawDict([...layers].map(([hex, layer]) => [fromHex(hex)!, encodeBencode(layer)] as const));
}
