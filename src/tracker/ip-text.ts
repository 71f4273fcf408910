// IP address text <-> bytes for compact peer lists (BEP 15, BEP 7; formatIpv6 lives in http-codec.ts).
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

export function formatIpv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}
