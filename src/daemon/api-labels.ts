// The Web API's categories and tags (under /torrents in qBittorrent's API): listing, creating, editing
// and removing them, and setting them on torrents. Shell: the rules are labels.ts's, the daemon saves.

import type { Daemon } from "./daemon.ts";
import * as labels from "./labels.ts";
import { hashesOf, json, required, text, type ApiContext, type Routes } from "./api-context.ts";

/** The categories as /torrents/categories and /sync/maindata show them: name -> { name, savePath }. */
export function categoriesInfo(daemon: Daemon): Record<string, { name: string; savePath: string }> {
  return Object.fromEntries(Object.entries(daemon.state.categories).map(([name, c]) => [name, { name, savePath: c.savePath }]));
}

export function categoryRoutes({ daemon }: ApiContext): Routes {
  const edit = labelEdit(daemon);
  return {
    "/api/v2/torrents/categories": () => json(categoriesInfo(daemon)),
    "/api/v2/torrents/setCategory": (p) => edit((s, r) => labels.setCategory(s, r, p.get("category") ?? ""), hashesOf(p)),
    "/api/v2/torrents/createCategory": (p) => edit((s, _r, path) => labels.createCategory(s, required(p, "category"), path(p.get("savePath") ?? ""))),
    "/api/v2/torrents/editCategory": (p) => edit((s, _r, path) => labels.editCategory(s, required(p, "category"), path(p.get("savePath") ?? ""))),
    "/api/v2/torrents/removeCategories": (p) => edit((s) => labels.removeCategories(s, required(p, "categories").split("\n"))),
  };
}

export function tagRoutes({ daemon }: ApiContext): Routes {
  const edit = labelEdit(daemon);
  return {
    "/api/v2/torrents/tags": () => json(daemon.state.tags),
    "/api/v2/torrents/addTags": (p) => edit((s, r) => labels.addTags(s, r, required(p, "tags").split(",")), hashesOf(p)),
    "/api/v2/torrents/removeTags": (p) => edit((_s, r) => labels.removeTags(r, (p.get("tags") ?? "").split(",").map((t) => t.trim()).filter(Boolean)), hashesOf(p)),
    "/api/v2/torrents/createTags": (p) => edit((s) => labels.addTags(s, [], required(p, "tags").split(","))),
    "/api/v2/torrents/deleteTags": (p) => edit((s) => labels.deleteTags(s, required(p, "tags").split(",").map((t) => t.trim()))),
  };
}

/** A category or tag edit (labels.ts) on the state and the given torrents' records, saved; answers "". */
function labelEdit(daemon: Daemon) {
  return async (change: Parameters<Daemon["editLabels"]>[0], hashes: string[] | "all" = []): Promise<Response> => {
    await daemon.editLabels(change, hashes);
    return text("");
  };
}
