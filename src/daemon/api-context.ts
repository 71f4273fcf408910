// What the qBittorrent Web API's route groups (api-*.ts) share: the context they are built on, a request's
// parameters, the plain answers, and the HTTP status of a daemon error. Shell (HTTP Responses), with no I/O of its own.

import { RippleError } from "../util/index.ts";
import type { Auth } from "./auth.ts";
import type { Daemon } from "./daemon.ts";

/** The daemon settings shown in /app/preferences and /sync/maindata. */
export interface ApiPrefs {
  listenPort: number;
  dht: boolean;
  encryption: "prefer" | "require" | "plain";
  maxActiveDownloads: number;
  ratio?: number;
  seedingTimeMin?: number;
}

/** What every route group is built on. */
export interface ApiContext {
  daemon: Daemon;
  /** Now in epoch seconds on the API's clock: the dates and ages in answers. */
  nowSec: () => number;
  auth: Auth;
  prefs: ApiPrefs;
}

export type Params = { get(name: string): string | undefined; files: File[] };
export type Handler = (p: Params, req: Request) => Promise<Response> | Response;
/** Handlers by path (`/api/v2/<section>/<method>`). */
export type Routes = Record<string, Handler>;

export const text = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
export const json = (body: unknown) => Response.json(body);

/** The status for an error thrown by the daemon (its RippleError code). */
export function statusOf(err: unknown): number {
  const code = err instanceof RippleError ? err.code : "";
  if (["BAD_REQUEST", "METAINFO", "BENCODE", "MAGNET"].includes(code)) return 400;
  if (code === "NOT_FOUND") return 404;
  if (code === "CONFLICT") return 409;
  if (code === "TOO_LARGE") return 413;
  return 500;
}

export function hashesOf(p: Params, name = "hashes"): string[] | "all" {
  const value = p.get(name) ?? p.get("hash");
  if (value === undefined) throw new RippleError("BAD_REQUEST", `missing parameter: ${name}`);
  return value === "all" ? "all" : value.split("|").map((h) => h.trim().toLowerCase()).filter(Boolean);
}

export function numberParam(p: Params, name: string): number | undefined {
  const v = p.get(name);
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new RippleError("BAD_REQUEST", `${name}: expected a number, got "${v.slice(0, 40)}"`);
  return n;
}

export function required(p: Params, name: string): string {
  const v = p.get(name);
  if (v === undefined || v === "") throw new RippleError("BAD_REQUEST", `missing parameter: ${name}`);
  return v;
}

export const isTrue = (v: string | undefined) => v === "true" || v === "1";
