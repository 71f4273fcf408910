// Web API authentication as qBittorrent does it: /auth/login (username, password) -> an `SID` cookie,
// `Authorization: Bearer <API key>`, HTTP Basic (qBittorrent 5.2+), and an opt-in localhost bypass.
// Shell: random session ids, Bun.password (argon2id) and the clock (injected: `clock`).

import { timingSafeEqual } from "node:crypto";
import { systemClock, toHex, type Clock } from "../util/index.ts";
import type { Credentials } from "./state-store.ts";

/** qBittorrent's default session timeout (web_ui_session_timeout, 3600 s). */
const SESSION_TTL_MS = 3_600_000;
const MAX_SESSIONS = 1000;

export interface AuthOptions {
  credentials?: Credentials;
  apiKeys: readonly string[];
  /** Requests from 127.0.0.1 / ::1 need no login (qBittorrent's "bypass authentication for localhost"). */
  bypassLocalhost: boolean;
  /** When sessions expire (default systemClock). */
  clock?: Clock;
}

export type AuthResult = { ok: true } | { ok: false; status: 401 | 403; message: string };

function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function isLoopback(ip: string | undefined): boolean {
  return ip === "127.0.0.1" || ip === "::1" || ip === "::ffff:127.0.0.1";
}

export class Auth {
  readonly #o: AuthOptions;
  readonly #clock: Clock;
  /** Session id -> expiry (Unix ms: an idle hour is wall time, a suspended machine's sleep included). */
  readonly #sessions = new Map<string, number>();

  constructor(o: AuthOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
  }

  async #checkPassword(username: string, password: string): Promise<boolean> {
    const c = this.#o.credentials;
    if (!c || !sameSecret(username, c.username)) return false;
    return Bun.password.verify(password, c.passwordHash).catch(() => false);
  }

  /** A new session id for a correct login, or undefined. */
  async login(username: string, password: string): Promise<string | undefined> {
    if (!(await this.#checkPassword(username, password))) return undefined;
    const now = this.#clock.epochMs();
    for (const [sid, expires] of this.#sessions) if (expires < now) this.#sessions.delete(sid);
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    const sid = toHex(crypto.getRandomValues(new Uint8Array(16)));
    this.#sessions.set(sid, now + SESSION_TTL_MS);
    return sid;
  }

  logout(req: Request): void {
    const sid = sessionId(req);
    if (sid !== undefined) this.#sessions.delete(sid);
  }

  /** Whether the request may use the API. A wrong API key or password is 403, as qBittorrent answers. */
  async check(req: Request, ip: string | undefined): Promise<AuthResult> {
    const header = req.headers.get("authorization") ?? "";
    if (header.startsWith("Bearer ")) {
      const key = header.slice(7).trim();
      return this.#o.apiKeys.some((k) => sameSecret(k, key)) ? { ok: true } : { ok: false, status: 403, message: "Forbidden: invalid API key" };
    }
    const sid = sessionId(req);
    const expires = sid === undefined ? undefined : this.#sessions.get(sid);
    const now = this.#clock.epochMs();
    if (expires !== undefined && expires >= now) {
      this.#sessions.set(sid!, now + SESSION_TTL_MS);
      return { ok: true };
    }
    if (header.startsWith("Basic ")) {
      const text = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
      const colon = text.indexOf(":");
      if (colon >= 0 && (await this.#checkPassword(text.slice(0, colon), text.slice(colon + 1)))) return { ok: true };
      return { ok: false, status: 403, message: "Forbidden: wrong username or password" };
    }
    // Only for a Host naming an address: a rebound DNS name (evil.example -> 127.0.0.1) must log in.
    if (this.#o.bypassLocalhost && isLoopback(ip) && isAddressHost(req.headers.get("host"))) return { ok: true };
    return { ok: false, status: 403, message: "Forbidden: log in at /api/v2/auth/login or send Authorization: Bearer <API key>" };
  }
}

/** A Host header that is localhost or an IP literal (with or without a port). */
function isAddressHost(host: string | null): boolean {
  if (host === null) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return name === "localhost" || name.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(name);
}

/**
 * qBittorrent's CSRF protection: a request whose Origin or Referer names another host than its Host
 * header came from another site's page (a form can POST multipart without a CORS preflight). Returns
 * why it is refused, or undefined. Integrations (Sonarr, @ctrl/qbittorrent, curl) send neither header.
 */
export function crossSiteReason(req: Request): string | undefined {
  const host = req.headers.get("host");
  for (const name of ["origin", "referer"]) {
    const value = req.headers.get(name);
    if (value === null) continue;
    let from: string;
    try {
      from = new URL(value).host;
    } catch {
      return `${name} "${value.slice(0, 80)}" is not a URL`;
    }
    if (from !== host) return `${name} ${from} does not match host ${host}`;
  }
  return undefined;
}

function sessionId(req: Request): string | undefined {
  const cookie = req.headers.get("cookie") ?? "";
  for (const part of cookie.split(";")) {
    const [name, value] = part.trim().split("=", 2);
    if (name === "SID" && value) return value;
  }
  return undefined;
}
