// metainfo: .torrent parsing and validation, magnet links, torrent creation, piece/block/file geometry.
export * from "./types.ts";
export * from "./geometry.ts";
export * from "./parse.ts";
export * from "./create.ts";
export * from "./magnet.ts";
export * from "./merkle.ts";
export * from "./create-v2.ts";
export * from "./piece-check.ts";
export * from "./merkle-proof.ts";
export { META_VERSION_2 } from "./parse-v2.ts";
export * from "./selection.ts";
