// The qBittorrent Web API v2 over Bun.serve, for *arr apps, autobrr, cross-seed and `ripple remote`:
// request parsing, auth, and the routes that call the Daemon. Shell: HTTP in and out; the JSON shapes
// come from qbt-map.ts; `/` serves the web page (web-page.ts). Binds 127.0.0.1 unless told otherwise.

import type { Server } from "bun";
import { LIMITS, RippleError, epochSeconds, errorMessage, type Clock, type Logger } from "../util/index.ts";
import { VERSION } from "../version.ts";
import { Auth, crossSiteReason, type AuthOptions } from "./auth.ts";
import type { AddRequest, Daemon } from "./daemon.ts";
import * as labels from "./labels.ts";
import { WEB_PAGE, WEB_PAGE_CSP } from "./web-page.ts";
import { FILTERS, listInfo, torrentFiles, torrentInfo, torrentProperties } from "./qbt-map.ts";

/** What we answer /app/version and /app/webapiVersion with: the qBittorrent release whose API this follows. */
export const QBT_APP_VERSION = "v5.0.0";
export const QBT_WEBAPI_VERSION = "2.11.2";

export interface HttpApiOptions {
  daemon: Daemon;
  host: string;
  port: number;
  auth: AuthOptions;
  /** Shown in /app/preferences. */
  prefs: { listenPort: number; dht: boolean; encryption: "prefer" | "require" | "plain"; maxActiveDownloads: number; ratio?: number; seedingTimeMin?: number };
  log: Logger;
  /** The dates and ages in answers, and login sessions' expiry. Default the daemon's clock. */
  clock?: Clock;
}

type Params = { get(name: string): string | undefined; files: File[] };
type Handler = (p: Params, req: Request) => Promise<Response> | Response;

const text = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
const json = (body: unknown) => Response.json(body);

/** The status for an error thrown by the daemon (its RippleError code). */
function statusOf(err: unknown): number {
  const code = err instanceof RippleError ? err.code : "";
  if (["BAD_REQUEST", "METAINFO", "BENCODE", "MAGNET"].includes(code)) return 400;
  if (code === "NOT_FOUND") return 404;
  if (code === "CONFLICT") return 409;
  if (code === "TOO_LARGE") return 413;
  return 500;
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

function hashesOf(p: Params, name = "hashes"): string[] | "all" {
  const value = p.get(name) ?? p.get("hash");
  if (value === undefined) throw new RippleError("BAD_REQUEST", `missing parameter: ${name}`);
  return value === "all" ? "all" : value.split("|").map((h) => h.trim().toLowerCase()).filter(Boolean);
}

function numberParam(p: Params, name: string): number | undefined {
  const v = p.get(name);
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new RippleError("BAD_REQUEST", `${name}: expected a number, got "${v.slice(0, 40)}"`);
  return n;
}

const isTrue = (v: string | undefined) => v === "true" || v === "1";

export function startHttpApi(o: HttpApiOptions): Server<undefined> {
  const { daemon } = o;
  const clock = o.clock ?? daemon.clock;
  const nowSec = () => epochSeconds(clock);
  const auth = new Auth({ ...o.auth, clock: o.auth.clock ?? clock });

  const routes: Record<string, Handler> = {
    "/api/v2/auth/logout": (_p, req) => (auth.logout(req), text("")),
    "/api/v2/app/version": () => text(QBT_APP_VERSION),
    "/api/v2/app/webapiVersion": () => text(QBT_WEBAPI_VERSION),
    "/api/v2/app/buildInfo": () => json({ qt: "", libtorrent: "", boost: "", openssl: "", zlib: "", bitness: 64, ripple: VERSION }),
    "/api/v2/app/defaultSavePath": () => text(daemon.savePaths.downloadDir),
    "/api/v2/app/preferences": () =>
      json({
        save_path: daemon.savePaths.downloadDir,
        temp_path_enabled: false,
        listen_port: o.prefs.listenPort,
        dht: o.prefs.dht,
        pex: true,
        lsd: false,
        upnp: false,
        encryption: { prefer: 0, require: 1, plain: 2 }[o.prefs.encryption],
        queueing_enabled: o.prefs.maxActiveDownloads >= 0,
        max_active_downloads: o.prefs.maxActiveDownloads,
        max_active_torrents: -1,
        max_active_uploads: -1,
        max_ratio_enabled: o.prefs.ratio !== undefined,
        max_ratio: o.prefs.ratio ?? -1,
        max_seeding_time_enabled: o.prefs.seedingTimeMin !== undefined,
        max_seeding_time: o.prefs.seedingTimeMin ?? -1,
        max_ratio_act: 0,
        auto_tmm_enabled: false,
        add_stopped_enabled: false,
        start_paused_enabled: false,
        create_subfolder_enabled: true,
        web_ui_address: o.host,
        web_ui_port: server.port,
        bypass_local_auth: o.auth.bypassLocalhost,
        web_ui_username: o.auth.credentials?.username ?? "",
      }),
    "/api/v2/torrents/info": (p) => {
      const filter = p.get("filter");
      if (filter !== undefined && !(FILTERS as readonly string[]).includes(filter)) throw new RippleError("BAD_REQUEST", `unknown filter "${filter}" (one of ${FILTERS.join(", ")})`);
      const hashes = p.get("hashes");
      return json(
        listInfo(daemon.views(), {
          ...(filter !== undefined && { filter }),
          ...(p.get("category") !== undefined && { category: p.get("category") }),
          ...(p.get("tag") !== undefined && { tag: p.get("tag") }),
          ...(hashes !== undefined && hashes !== "all" && { hashes: hashes.toLowerCase().split("|") }),
          ...(p.get("sort") !== undefined && { sort: p.get("sort") }),
          reverse: isTrue(p.get("reverse")),
          limit: numberParam(p, "limit"),
          offset: numberParam(p, "offset"),
        }, nowSec()),
      );
    },
    "/api/v2/torrents/properties": (p) => json(torrentProperties(viewOf(p.get("hash")), nowSec())),
    "/api/v2/torrents/files": (p) => {
      const hash = viewOf(p.get("hash")).hash;
      const { meta, torrent } = daemon.meta(hash);
      if (!meta) return json([]);
      const complete = viewOf(hash).complete;
      return json(torrentFiles(meta.files, meta.multiFile, meta.name, meta.pieceLength, (i) => complete || (torrent?.picker.have.has(i) ?? false)));
    },
    "/api/v2/torrents/add": (p) => addTorrents(p),
    "/api/v2/torrents/delete": async (p) => (await daemon.remove(hashesOf(p), isTrue(p.get("deleteFiles"))), text("")),
    "/api/v2/torrents/stop": async (p) => (await daemon.stop(hashesOf(p)), text("")),
    "/api/v2/torrents/pause": async (p) => (await daemon.stop(hashesOf(p)), text("")),
    "/api/v2/torrents/start": async (p) => (await daemon.start(hashesOf(p)), text("")),
    "/api/v2/torrents/resume": async (p) => (await daemon.start(hashesOf(p)), text("")),
    "/api/v2/torrents/setCategory": (p) => edit((s, r) => labels.setCategory(s, r, p.get("category") ?? ""), hashesOf(p)),
    "/api/v2/torrents/createCategory": (p) => edit((s, _r, path) => labels.createCategory(s, required(p, "category"), path(p.get("savePath") ?? ""))),
    "/api/v2/torrents/removeCategories": (p) => edit((s) => labels.removeCategories(s, required(p, "categories").split("\n"))),
    "/api/v2/torrents/categories": () =>
      json(Object.fromEntries(Object.entries(daemon.state.categories).map(([name, c]) => [name, { name, savePath: c.savePath }]))),
    "/api/v2/torrents/addTags": (p) => edit((s, r) => labels.addTags(s, r, required(p, "tags").split(",")), hashesOf(p)),
    "/api/v2/torrents/removeTags": (p) => edit((_s, r) => labels.removeTags(r, (p.get("tags") ?? "").split(",").map((t) => t.trim()).filter(Boolean)), hashesOf(p)),
    "/api/v2/torrents/tags": () => json(daemon.state.tags),
    "/api/v2/torrents/setShareLimits": async (p) => {
      const ratio = numberParam(p, "ratioLimit");
      const time = numberParam(p, "seedingTimeLimit");
      if (ratio === undefined || time === undefined) throw new RippleError("BAD_REQUEST", "setShareLimits needs ratioLimit and seedingTimeLimit");
      await daemon.setShareLimits(hashesOf(p), ratio, time);
      return text("");
    },
    "/api/v2/torrents/topPrio": async (p) => (await daemon.movePrio(hashesOf(p), "top"), text("")),
    "/api/v2/torrents/recheck": async (p) => (await daemon.recheck(hashesOf(p)), text("")),
    "/api/v2/torrents/export": (p) =>
      new Response(daemon.exportTorrent(required(p, "hash")), { headers: { "content-type": "application/x-bittorrent" } }),
    "/api/v2/torrents/bottomPrio": async (p) => (await daemon.movePrio(hashesOf(p), "bottom"), text("")),
    "/api/v2/torrents/setForceStart": async (p) => (await daemon.setForceStart(hashesOf(p), isTrue(p.get("value"))), text("")),
    "/api/v2/torrents/editCategory": (p) => edit((s, _r, path) => labels.editCategory(s, required(p, "category"), path(p.get("savePath") ?? ""))),
    "/api/v2/torrents/createTags": (p) => edit((s) => labels.addTags(s, [], required(p, "tags").split(","))),
    "/api/v2/torrents/deleteTags": (p) => edit((s) => labels.deleteTags(s, required(p, "tags").split(",").map((t) => t.trim()))),
    "/api/v2/transfer/info": () => json(transferInfo()),
    "/api/v2/sync/maindata": (p) => {
      const now = nowSec();
      return json({
        rid: (numberParam(p, "rid") ?? 0) + 1,
        full_update: true,
        torrents: Object.fromEntries(daemon.views().map((v) => [v.hash, torrentInfo(v, now)])),
        categories: Object.fromEntries(Object.entries(daemon.state.categories).map(([name, c]) => [name, { name, savePath: c.savePath }])),
        tags: daemon.state.tags,
        server_state: { ...transferInfo(), queueing: o.prefs.maxActiveDownloads >= 0, use_alt_speed_limits: false, refresh_interval: 1500 },
      });
    },
  };
  const MUTATING = /\/(add|delete|stop|pause|start|resume|set\w+|create\w+|edit\w+|remove\w+|delete\w+|addTags|topPrio|bottomPrio|recheck)$/;

  /** A category or tag edit (labels.ts) on the state and the given torrents' records, saved. */
  async function edit(change: Parameters<Daemon["editLabels"]>[0], hashes: string[] | "all" = []): Promise<Response> {
    await daemon.editLabels(change, hashes);
    return text("");
  }

  function viewOf(hash: string | undefined) {
    if (hash === undefined) throw new RippleError("BAD_REQUEST", "missing parameter: hash");
    const view = daemon.views().find((v) => v.hash === hash.toLowerCase());
    if (!view) throw new RippleError("NOT_FOUND", `Torrent hash was not found: ${hash}`);
    return view;
  }

  function required(p: Params, name: string): string {
    const v = p.get(name);
    if (v === undefined || v === "") throw new RippleError("BAD_REQUEST", `missing parameter: ${name}`);
    return v;
  }

  function transferInfo() {
    const views = daemon.views();
    const sum = (f: (v: (typeof views)[number]) => number) => views.reduce((n, v) => n + f(v), 0);
    return {
      dl_info_speed: Math.round(sum((v) => v.downloadRate)),
      up_info_speed: Math.round(sum((v) => v.uploadRate)),
      dl_info_data: sum((v) => v.downloadedSessionBytes),
      up_info_data: sum((v) => v.uploadedSessionBytes),
      dl_rate_limit: 0,
      up_rate_limit: 0,
      dht_nodes: 0,
      connection_status: "connected",
    };
  }

  async function addTorrents(p: Params): Promise<Response> {
    const common: Omit<AddRequest, "source"> = {
      ...(p.get("savepath") && { savePath: daemon.savePaths.resolve(p.get("savepath")) }),
      ...(p.get("category") !== undefined && { category: p.get("category")! }),
      tags: (p.get("tags") ?? "").split(","),
      stopped: isTrue(p.get("stopped")) || isTrue(p.get("paused")),
      ...(numberParam(p, "ratioLimit") !== undefined && { ratioLimit: numberParam(p, "ratioLimit")! }),
      ...(numberParam(p, "seedingTimeLimit") !== undefined && { seedingTimeLimit: numberParam(p, "seedingTimeLimit")! }),
    };
    const sources: AddRequest["source"][] = [];
    for (const line of (p.get("urls") ?? "").split("\n").map((l) => l.trim()).filter(Boolean)) {
      if (!line.toLowerCase().startsWith("magnet:")) throw new RippleError("BAD_REQUEST", `only magnet links are accepted in urls (fetching .torrent URLs is not supported): ${line.slice(0, 80)}`);
      sources.push({ magnet: line });
    }
    for (const file of p.files) {
      if (file.size > LIMITS.daemonTorrentFileBytes) throw new RippleError("TOO_LARGE", `torrent file ${file.name || "(unnamed)"} too large: ${file.size} bytes > ${LIMITS.daemonTorrentFileBytes}`);
    }
    for (const file of p.files) sources.push({ torrent: new Uint8Array(await file.arrayBuffer()) });
    if (sources.length === 0) throw new RippleError("BAD_REQUEST", "nothing to add: give urls (magnet links) or torrents (.torrent files)");
    const failures: { status: number; message: string }[] = [];
    for (const source of sources) {
      try {
        await daemon.add({ ...common, source });
      } catch (err) {
        failures.push({ status: statusOf(err), message: errorMessage(err) });
      }
    }
    const added = sources.length - failures.length;
    const bad = failures.filter((f) => f.status !== 409);
    if (bad.length > 0) return text(`added ${added} of ${sources.length}: ${bad.map((f) => f.message).join("; ")}`, bad[0]!.status);
    if (added === 0) return text("Fails.");
    return text("Ok.");
  }

  const server = Bun.serve({
    hostname: o.host,
    port: o.port,
    maxRequestBodySize: LIMITS.daemonRequestBodyBytes,
    async fetch(req, srv) {
      const url = new URL(req.url);
      const path = url.pathname.replace(/\/+$/, "") || "/";
      try {
        if (path === "/" && req.method === "GET") {
          return new Response(WEB_PAGE, { headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": WEB_PAGE_CSP, "x-frame-options": "DENY" } });
        }
        const crossSite = path.startsWith("/api/") ? crossSiteReason(req) : undefined;
        if (crossSite !== undefined) return text(`Forbidden: cross-site request (${crossSite})`, 403);
        if (path === "/api/v2/auth/login") {
          const p = await readParams(req);
          const sid = await auth.login(p.get("username") ?? "", p.get("password") ?? "");
          if (sid === undefined) return text("Fails.");
          return text("Ok.", 200, { "set-cookie": `SID=${sid}; HttpOnly; SameSite=Strict; Path=/` });
        }
        const handler = Object.hasOwn(routes, path) ? routes[path] : undefined;
        if (!handler) return text(`Not Found: ${path} is not an endpoint of this qBittorrent Web API v2 (ripple daemon; see the README for those supported)`, 404);
        const verdict = await auth.check(req, srv.requestIP(req)?.address);
        if (!verdict.ok) return text(verdict.message, verdict.status);
        if (MUTATING.test(path) && req.method !== "POST") return text(`Method Not Allowed: ${path} takes POST`, 405, { allow: "POST" });
        return await handler(await readParams(req), req);
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
