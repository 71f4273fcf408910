// The qBittorrent Web API v2 over Bun.serve, for *arr apps, autobrr, cross-seed and `ripple remote`:
// request parsing, auth, and serving the route groups (api-*.ts, one per API section) that call the Daemon.
// Shell: HTTP in and out; `/` serves the web page (web-page.ts). Binds 127.0.0.1 unless told otherwise.

import type { Server } from "bun";
import { LIMITS, RippleError, epochSeconds, errorMessage, type Clock, type Logger } from "../util/index.ts";
import { Auth, crossSiteReason, type AuthOptions } from "./auth.ts";
import type { Daemon } from "./daemon.ts";
import { WEB_PAGE, WEB_PAGE_CSP } from "./web-page.ts";
import { statusOf, text, type ApiContext, type ApiPrefs, type Handler, type Params, type Routes } from "./api-context.ts";
import { appRoutes } from "./api-app.ts";
import { LOGIN_PATH, authRoutes, loginRoute } from "./api-auth.ts";
import { categoryRoutes, tagRoutes } from "./api-labels.ts";
import { syncRoutes } from "./api-sync.ts";
import { torrentsActionRoutes, torrentsReadRoutes } from "./api-torrents.ts";
import { transferRoutes } from "./api-transfer.ts";

export { QBT_APP_VERSION, QBT_WEBAPI_VERSION } from "./api-app.ts";

export interface HttpApiOptions {
  daemon: Daemon;
  host: string;
  port: number;
  auth: AuthOptions;
  /** Shown in /app/preferences. */
  prefs: ApiPrefs;
  log: Logger;
  /** The dates and ages in answers, and login sessions' expiry. Default the daemon's clock. */
  clock?: Clock;
}

/** Routes that change something: they take POST only (405 otherwise), as in qBittorrent. */
const MUTATING = /\/(add|delete|stop|pause|start|resume|set\w+|create\w+|edit\w+|remove\w+|delete\w+|addTags|topPrio|bottomPrio|recheck)$/;

export function startHttpApi(o: HttpApiOptions): Server<undefined> {
  const { daemon } = o;
  const clock = o.clock ?? daemon.clock;
  const ctx: ApiContext = {
    daemon,
    nowSec: () => epochSeconds(clock),
    auth: new Auth({ ...o.auth, clock: o.auth.clock ?? clock }),
    prefs: o.prefs,
  };
  const routes: Routes = {
    ...authRoutes(ctx),
    ...appRoutes(ctx, { host: o.host, port: () => server.port, auth: o.auth }),
    ...torrentsReadRoutes(ctx),
    ...torrentsActionRoutes(ctx),
    ...categoryRoutes(ctx),
    ...tagRoutes(ctx),
    ...transferRoutes(ctx),
    ...syncRoutes(ctx),
  };
  const api: RouteTable = { routes, login: loginRoute(ctx), auth: ctx.auth };

  const server = Bun.serve({
    hostname: o.host,
    port: o.port,
    maxRequestBodySize: LIMITS.daemonRequestBodyBytes,
    async fetch(req, srv) {
      const path = new URL(req.url).pathname.replace(/\/+$/, "") || "/";
      try {
        return await serveRequest(api, req, path, () => srv.requestIP(req)?.address);
      } catch (err) {
        const status = statusOf(err);
        if (status === 500) o.log.warn(`${req.method} ${path}: ${errorMessage(err)}`);
        return text(errorMessage(err), status);
      }
    },
    error(err) {
      return text(`internal error: ${errorMessage(err)}`, 500);
    },
  });
  return server;
}

/** What serveRequest answers from: the routes behind a session, login, and the session check. */
interface RouteTable {
  routes: Routes;
  login: Handler;
  auth: Auth;
}

/** One request, in order: the web page, the cross-site check, login, the route, the session, the method. */
async function serveRequest({ routes, login, auth }: RouteTable, req: Request, path: string, clientAddress: () => string | undefined): Promise<Response> {
  if (path === "/" && req.method === "GET") {
    return new Response(WEB_PAGE, { headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": WEB_PAGE_CSP, "x-frame-options": "DENY" } });
  }
  const crossSite = path.startsWith("/api/") ? crossSiteReason(req) : undefined;
  if (crossSite !== undefined) return text(`Forbidden: cross-site request (${crossSite})`, 403);
  if (path === LOGIN_PATH) return await login(await readParams(req), req);
  const handler: Handler | undefined = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (!handler) return text(`Not Found: ${path} is not an endpoint of this qBittorrent Web API v2 (ripple daemon; see the README for those supported)`, 404);
  const verdict = await auth.check(req, clientAddress());
  if (!verdict.ok) return text(verdict.message, verdict.status);
  if (MUTATING.test(path) && req.method !== "POST") return text(`Method Not Allowed: ${path} takes POST`, 405, { allow: "POST" });
  return await handler(await readParams(req), req);
}

/** Request parameters: the query string, plus a POST's urlencoded or multipart body. */
async function readParams(req: Request): Promise<Params> {
  const url = new URL(req.url);
  const fields = new Map<string, string>(url.searchParams);
  const files: File[] = [];
  const type = req.headers.get("content-type") ?? "";
  if (req.method === "POST" && (type.startsWith("multipart/form-data") || type.startsWith("application/x-www-form-urlencoded"))) {
    const length = Number(req.headers.get("content-length") ?? 0);
    if (length > LIMITS.daemonRequestBodyBytes) throw new RippleError("TOO_LARGE", `request body too large: ${length} bytes > ${LIMITS.daemonRequestBodyBytes}`);
    let form: Awaited<ReturnType<Request["formData"]>>;
    try {
      form = await req.formData();
    } catch (err) {
      const what = type.startsWith("multipart") ? "multipart/form-data" : "form";
      throw new RippleError("BAD_REQUEST", `malformed ${what} body: ${errorMessage(err)}`);
    }
    for (const [name, value] of form.entries()) {
      if (typeof value === "string") fields.set(name, value);
      else files.push(value);
    }
  }
  return { get: (name) => fields.get(name), files };
}
