// Units for the lab scripts' flags: rates (50M = 50 MiB/s, 100mbit), sizes (256M, 1G), loss (0.001, 0.1%).

const BINARY: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes per second from "50M" (MiB/s, K = 1024 as ripple's rate options), "100mbit" or "1gbit" (bits, 1000s). */
export function parseRate(text: string): number {
  const bits = /^(\d+(?:\.\d+)?)([kmg])bit$/i.exec(text.trim());
  if (bits) return Math.round((Number(bits[1]) * { k: 1e3, m: 1e6, g: 1e9 }[bits[2]!.toLowerCase() as "k" | "m" | "g"]) / 8);
  return parseSize(text);
}

/** Bytes from "256M", "1G", "65536". */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new Error(`expected a size or rate such as 256M, 50M or 100mbit, got "${text}"`);
  return Math.round(Number(m[1]) * BINARY[m[2]!.toLowerCase()]!);
}

/** A probability from "0.001" or "0.1%". */
export function parseLoss(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  if (!m) throw new Error(`expected a loss such as 0.001 or 0.1%, got "${text}"`);
  const p = Number(m[1]) / (m[2] ? 100 : 1);
  if (p >= 1) throw new Error(`loss must be below 1 (100%), got "${text}"`);
  return p;
}
