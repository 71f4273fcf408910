// IP address text <-> bytes for compact peer lists (BEP 7, BEP 11, BEP 15, BEP 23).
// Pure; no I/O, no DNS: host names are not addresses here.

/** Dotted-quad text to 4 bytes, or undefined when it is not one. */
export function parseIpv4(host: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  const parts = m?.slice(1).map(Number);
  return parts && parts.every((n) => n <= 255) ? new Uint8Array(parts) : undefined;
}

/** IPv6 text (with "::" and an optional dotted IPv4 tail) to 16 bytes, or undefined when it is not one. */
export function parseIpv6(host: string): Uint8Array | undefined {
  const halves = host.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (const [i, part] of parts.entries()) {
      const v4 = i === parts.length - 1 && part.includes(".") ? parseIpv4(part) : undefined;
      if (v4) out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => out.set([g >> 8, g & 0xff], 2 * i));
  return out;
}

/** ::ffff:a.b.c.d, how an IPv4 peer travels in an IPv6 peer list. */
export function mappedIpv6(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out.set([0xff, 0xff], 10);
  out.set(v4, 12);
  return out;
}

/** The 4 bytes at `at` as a dotted quad. */
export function formatIpv4(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/**
 * The 16 bytes at `at` as RFC 5952 text: lowercase, the longest run of two or more zero groups (the first
 * on a tie) as "::". An IPv4-mapped address (::ffff:a.b.c.d) comes out as the plain dotted quad.
 */
export function formatIpv6(b: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return formatIpv4(b, at + 12);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/**
 * Loopback, private (RFC 1918, IPv6 unique local), link-local, or the benchmarking range 198.18.0.0/15
 * (RFC 2544; not globally reachable, used by lab networks such as scripts/netlab): a peer on the same
 * machine or network, where TCP is dialed before uTP. Host names and other text are not local.
 */
export function isLocalAddress(host: string): boolean {
  const v4 = parseIpv4(host);
  if (v4) {
    const [a, b] = [v4[0]!, v4[1]!];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 198 && (b & 0xfe) === 18);
  }
  const v6 = parseIpv6(host);
  if (!v6) return false;
  if (v6.subarray(0, 10).every((x) => x === 0) && v6[10] === 0xff && v6[11] === 0xff) return isLocalAddress(formatIpv4(v6, 12));
  const loopback = v6.subarray(0, 15).every((x) => x === 0) && v6[15] === 1;
  return loopback || (v6[0]! & 0xfe) === 0xfc || (v6[0] === 0xfe && (v6[1]! & 0xc0) === 0x80);
}
