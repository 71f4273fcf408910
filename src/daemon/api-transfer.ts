// The Web API's /transfer section: the global rates and session totals, summed over the torrents.
// Shell: reads the Daemon's views.

import type { Daemon } from "./daemon.ts";
import { json, type ApiContext, type Routes } from "./api-context.ts";

/** /transfer/info, also the server_state of /sync/maindata. No global rate limits or DHT node count yet (0). */
export function transferInfo(daemon: Daemon) {
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

export function transferRoutes({ daemon }: ApiContext): Routes {
  return {
    "/api/v2/transfer/info": () => json(transferInfo(daemon)),
  };
}
