// PeerAddress: a known host and port of a peer, parsed from "host:port" or "[v6]:port". Pure.

import { RippleError } from "./errors.ts";

export interface PeerAddress {
  /** An IPv4 dotted quad, an IPv6 address without brackets, or a host name. */
  readonly host: string;
  readonly port: number;
}

export function formatPeerAddress(addr: PeerAddress): string {
  return addr.host.includes(":") ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Parses "host:port" or "[ipv6]:port"; throws a RippleError naming the bad text. */
export function parsePeerAddress(text: string): PeerAddress {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text) ?? /^([^:\s\[\]]+):(\d+)$/.exec(text);
  if (!m) throw new RippleError("USAGE", `bad peer address: expected HOST:PORT or [IPV6]:PORT, got "${text}"`);
  const port = Number(m[2]);
  if (!isValidPort(port)) throw new RippleError("USAGE", `bad peer address: port out of range in "${text}"`);
  return { host: m[1]!, port };
}
