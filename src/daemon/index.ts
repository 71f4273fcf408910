// `ripple daemon`: many torrents in one process, kept across restarts, behind a qBittorrent-compatible Web API.
export * from "./daemon.ts";
export * from "./http-api.ts";
export * from "./qbt-map.ts";
export * from "./state-store.ts";
export * from "./save-paths.ts";
export { isLoopback, type AuthOptions } from "./auth.ts";
