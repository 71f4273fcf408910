// swarm: picker, peer pool, per-peer state and the torrent orchestrator.
export * from "./picker.ts";
export * from "./piece-state.ts";
export * from "./peer-pool.ts";
export * from "./peer-state.ts";
export * from "./rate.ts";
export * from "./smart-ban.ts";
export * from "./choker.ts";
export * from "./downloader.ts";
export * from "./uploader.ts";
export * from "./read-cache.ts";
export * from "./token-bucket.ts";
export * from "./announcers.ts";
export * from "./extensions.ts";
export * from "./metadata-fetch.ts";
export * from "./torrent.ts";
export * from "./dial-encryption.ts";
