// Shared parsing of CLI option values: repeated flags, integers, peer addresses. Pure.

import type { ArgsDef } from "citty";
import { parseArgs } from "node:util";
import { ENCRYPTION_POLICIES, UTP_MODES, type EncryptionPolicy, type UtpMode } from "../peer/index.ts";
import { RippleError, parseIpv4, parseIpv6, parsePeerAddress, type PeerAddress } from "../util/index.ts";

export function intOption(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new RippleError("USAGE", `--${name}: expected an integer from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

export function peerOptions(values: readonly string[], option = "--peer"): PeerAddress[] {
  return values.map((text) => {
    try {
      return parsePeerAddress(text);
    } catch (err) {
      throw new RippleError("USAGE", `${option}: ${(err as Error).message}`);
    }
  });
}

/** An IP address literal (`family` 6: IPv6 only), e.g. for --host. */
export function ipOption(name: string, value: unknown, family?: 6): string {
  const text = String(value).trim();
  const ok = parseIpv6(text) !== undefined || (family === undefined && parseIpv4(text) !== undefined);
  if (!ok) throw new RippleError("USAGE", `--${name}: expected an ${family === 6 ? "IPv6" : "IP"} address such as ${family === 6 ? "" : "127.0.0.1 or "}::1, got "${text}"`);
  return text;
}

/** --encryption: prefer, require or plain. */
export function encryptionOption(value: unknown): EncryptionPolicy {
  const text = String(value).trim().toLowerCase();
  const policy = ENCRYPTION_POLICIES.find((p) => p === text);
  if (policy === undefined) throw new RippleError("USAGE", `--encryption: expected prefer, require or plain, got "${String(value)}"`);
  return policy;
}

/** --utp-mode: auto, prefer or only (off is --no-utp). */
export function utpModeOption(value: unknown): UtpMode {
  const text = String(value).trim().toLowerCase();
  const mode = UTP_MODES.find((m) => m === text && m !== "off");
  if (mode === undefined) throw new RippleError("USAGE", `--utp-mode: expected auto, prefer or only, got "${String(value)}"`);
  return mode;
}

const RATE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A rate like "2M", "500K", "1.5m", "65536" (bytes/s; K = 1024, as aria2 counts); 0 = unlimited. */
export function rateOption(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:i?B)?(?:\/s)?$/.exec(text);
  if (!m) throw new RippleError("USAGE", `--${name}: expected a rate such as 500K or 2M (bytes per second), got "${text}"`);
  const bytes = Math.round(Number(m[1]) * RATE_UNITS[m[2]!.toLowerCase()]!);
  return bytes === 0 ? undefined : bytes;
}

const DURATION_UNITS: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

/** A duration like "90", "30s", "10m", "1h30m", "2d" (plain numbers are seconds); returns milliseconds. */
export function durationOption(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new RippleError("USAGE", `--${name}: expected a duration such as 90s, 10m or 1h30m, got "${text}"`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0) * 1000);
}

/** A non-negative decimal number, e.g. a seed ratio. */
export function numberOption(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n < min) throw new RippleError("USAGE", `--${name}: expected a number of at least ${min}, got "${text}"`);
  return n;
}

/**
 * Every value of a repeatable string option, in order. citty (through node:util parseArgs without
 * `multiple`) keeps only the last one, so the raw arguments are parsed again here with `multiple` set.
 */
export function repeatedOption<A extends ArgsDef>(defs: A, rawArgs: readonly string[], name: keyof A & string): string[] {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const [key, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? [def.alias ?? []].flat()[0] : undefined;
    const short = alias !== undefined && alias.length === 1 ? alias : undefined;
    const type = def.type === "boolean" ? "boolean" : "string";
    options[key] = { type, ...(type === "string" && { multiple: true }), ...(short && { short }) };
  }
  // citty drops every --no-X before parsing (it means X = false); do the same so they are not read as values.
  const args = rawArgs.filter((a) => !a.startsWith("--no-"));
  const { values } = parseArgs({ args, options, allowPositionals: true, strict: false });
  const value = values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
