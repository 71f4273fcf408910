// The Web API's /sync section: /sync/maindata, always a full update (every torrent, category and tag,
// and the server state); `rid` only counts up. Shell: reads the Daemon.

import { torrentInfo } from "./qbt-map.ts";
import { json, numberParam, type ApiContext, type Routes } from "./api-context.ts";
import { categoriesInfo } from "./api-labels.ts";
import { transferInfo } from "./api-transfer.ts";

export function syncRoutes({ daemon, nowSec, prefs }: ApiContext): Routes {
  return {
    "/api/v2/sync/maindata": (p) => {
      const now = nowSec();
      return json({
        rid: (numberParam(p, "rid") ?? 0) + 1,
        full_update: true,
        torrents: Object.fromEntries(daemon.views().map((v) => [v.hash, torrentInfo(v, now)])),
        categories: categoriesInfo(daemon),
        tags: daemon.state.tags,
        server_state: { ...transferInfo(daemon), queueing: prefs.maxActiveDownloads >= 0, use_alt_speed_limits: false, refresh_interval: 1500 },
      });
    },
  };
}
