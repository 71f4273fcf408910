// The Web API's /app section: the qBittorrent version we follow, build info, the default save path and
// the preferences (read-only: the daemon's settings come from its command line). Shell: HTTP answers.

import { VERSION } from "../version.ts";
import type { AuthOptions } from "./auth.ts";
import { json, text, type ApiContext, type Routes } from "./api-context.ts";

/** What we answer /app/version and /app/webapiVersion with: the qBittorrent release whose API this follows. */
export const QBT_APP_VERSION = "v5.0.0";
export const QBT_WEBAPI_VERSION = "2.11.2";

/** Where the Web API listens and who may use it, as /app/preferences shows them. */
export interface WebUiSettings {
  host: string;
  /** The bound port (known once the server has started; none on a unix socket). */
  port: () => number | undefined;
  auth: AuthOptions;
}

export function appRoutes({ daemon, prefs }: ApiContext, webUi: WebUiSettings): Routes {
  return {
    "/api/v2/app/version": () => text(QBT_APP_VERSION),
    "/api/v2/app/webapiVersion": () => text(QBT_WEBAPI_VERSION),
    "/api/v2/app/buildInfo": () => json({ qt: "", libtorrent: "", boost: "", openssl: "", zlib: "", bitness: 64, ripple: VERSION }),
    "/api/v2/app/defaultSavePath": () => text(daemon.savePaths.downloadDir),
    "/api/v2/app/preferences": () =>
      json({
        save_path: daemon.savePaths.downloadDir,
        temp_path_enabled: false,
        listen_port: prefs.listenPort,
        dht: prefs.dht,
        pex: true,
        lsd: false,
        upnp: false,
        encryption: { prefer: 0, require: 1, plain: 2 }[prefs.encryption],
        queueing_enabled: prefs.maxActiveDownloads >= 0,
        max_active_downloads: prefs.maxActiveDownloads,
        max_active_torrents: -1,
        max_active_uploads: -1,
        max_ratio_enabled: prefs.ratio !== undefined,
        max_ratio: prefs.ratio ?? -1,
        max_seeding_time_enabled: prefs.seedingTimeMin !== undefined,
        max_seeding_time: prefs.seedingTimeMin ?? -1,
        max_ratio_act: 0,
        auto_tmm_enabled: false,
        add_stopped_enabled: false,
        start_paused_enabled: false,
        create_subfolder_enabled: true,
        web_ui_address: webUi.host,
        web_ui_port: webUi.port(),
        bypass_local_auth: webUi.auth.bypassLocalhost,
        web_ui_username: webUi.auth.credentials?.username ?? "",
      }),
  };
}
