// Literal IP addresses for the tracker server: text -> normalized text + 4 or 16 bytes (BEP 23 compact
// peers, BEP 7 peers6). Pure; no I/O, no DNS: anything that is not a literal address is refused.

import { formatIpv6, parseIpv4, parseIpv6 } from "../util/index.ts";

/** A peer's address in both forms; `bytes` is 4 long for IPv4 (IPv4-mapped IPv6 included), 16 for IPv6. */
export interface IpAddress {
  readonly text: string;
  readonly bytes: Uint8Array;
}

/** Parses a literal IPv4 or IPv6 address (brackets allowed); IPv4-mapped IPv6 comes out as IPv4. */
export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { text: v4.join("."), bytes: v4 };
  const v6 = parseIpv6(text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text);
  if (v6 === undefined) return undefined;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  if (mapped) {
    const bytes = v6.slice(12);
    return { text: bytes.join("."), bytes };
  }
  return { text: formatIpv6(v6), bytes: v6 };
}
