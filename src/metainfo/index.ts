// metainfo: .torrent parsing and validation, magnet links, torrent creation, piece/block/file geometry.
export * from "./types.ts";
export * from "./geometry.ts";
export * from "./parse.ts";
export * from "./create.ts";
export * from "./magnet.ts";
export * from "./selection.ts";
