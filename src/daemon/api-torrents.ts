// The Web API's /torrents section apart from categories and tags (api-labels.ts): the list, one
// torrent's properties and files, its .torrent, adding torrents, and the actions on a set of hashes.
// Shell: HTTP answers around the Daemon; the JSON shapes come from qbt-map.ts.

import { LIMITS, RippleError, errorMessage } from "../util/index.ts";
import type { AddRequest, Daemon } from "./daemon.ts";
import { FILTERS, listInfo, torrentFiles, torrentProperties } from "./qbt-map.ts";
import { hashesOf, isTrue, json, numberParam, required, statusOf, text, type ApiContext, type Params, type Routes } from "./api-context.ts";

export function torrentsReadRoutes({ daemon, nowSec }: ApiContext): Routes {
  return {
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
    "/api/v2/torrents/properties": (p) => json(torrentProperties(viewOf(daemon, p.get("hash")), nowSec())),
    "/api/v2/torrents/files": (p) => {
      const { hash, complete } = viewOf(daemon, p.get("hash"));
      const { meta, torrent } = daemon.meta(hash);
      if (!meta) return json([]);
      return json(torrentFiles(meta.files, meta.multiFile, meta.name, meta.pieceLength, (i) => complete || (torrent?.picker.have.has(i) ?? false)));
    },
    "/api/v2/torrents/export": (p) =>
      new Response(daemon.exportTorrent(required(p, "hash")), { headers: { "content-type": "application/x-bittorrent" } }),
  };
}

export function torrentsActionRoutes({ daemon }: ApiContext): Routes {
  return {
    "/api/v2/torrents/add": (p) => addTorrents(daemon, p),
    "/api/v2/torrents/delete": async (p) => (await daemon.remove(hashesOf(p), isTrue(p.get("deleteFiles"))), text("")),
    "/api/v2/torrents/stop": async (p) => (await daemon.stop(hashesOf(p)), text("")),
    "/api/v2/torrents/pause": async (p) => (await daemon.stop(hashesOf(p)), text("")),
    "/api/v2/torrents/start": async (p) => (await daemon.start(hashesOf(p)), text("")),
    "/api/v2/torrents/resume": async (p) => (await daemon.start(hashesOf(p)), text("")),
    "/api/v2/torrents/setShareLimits": async (p) => {
      const ratio = numberParam(p, "ratioLimit");
      const time = numberParam(p, "seedingTimeLimit");
      if (ratio === undefined || time === undefined) throw new RippleError("BAD_REQUEST", "setShareLimits needs ratioLimit and seedingTimeLimit");
      await daemon.setShareLimits(hashesOf(p), ratio, time);
      return text("");
    },
    "/api/v2/torrents/topPrio": async (p) => (await daemon.movePrio(hashesOf(p), "top"), text("")),
    "/api/v2/torrents/bottomPrio": async (p) => (await daemon.movePrio(hashesOf(p), "bottom"), text("")),
    "/api/v2/torrents/recheck": async (p) => (await daemon.recheck(hashesOf(p)), text("")),
    "/api/v2/torrents/setForceStart": async (p) => (await daemon.setForceStart(hashesOf(p), isTrue(p.get("value"))), text("")),
  };
}

function viewOf(daemon: Daemon, hash: string | undefined) {
  if (hash === undefined) throw new RippleError("BAD_REQUEST", "missing parameter: hash");
  const view = daemon.views().find((v) => v.hash === hash.toLowerCase());
  if (!view) throw new RippleError("NOT_FOUND", `Torrent hash was not found: ${hash}`);
  return view;
}

/** /torrents/add: magnet links (`urls`) and .torrent files, all with the same options; "Ok." when any was added. */
async function addTorrents(daemon: Daemon, p: Params): Promise<Response> {
  const savePath = p.get("savepath");
  const category = p.get("category");
  const ratioLimit = numberParam(p, "ratioLimit");
  const seedingTimeLimit = numberParam(p, "seedingTimeLimit");
  const common: Omit<AddRequest, "source"> = {
    ...(savePath && { savePath: daemon.savePaths.resolve(savePath) }),
    ...(category !== undefined && { category }),
    tags: (p.get("tags") ?? "").split(","),
    stopped: isTrue(p.get("stopped")) || isTrue(p.get("paused")),
    ...(ratioLimit !== undefined && { ratioLimit }),
    ...(seedingTimeLimit !== undefined && { seedingTimeLimit }),
  };
  const sources = await addSources(p);
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

/** What /torrents/add was given: the magnet links first, then the files (each under the size cap). */
async function addSources(p: Params): Promise<AddRequest["source"][]> {
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
  return sources;
}
