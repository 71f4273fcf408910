// metainfo: .torrent parsing and validation, piece/block/file geometry.
export * from "./types.ts";
export * from "./geometry.ts";
export * from "./parse.ts";
