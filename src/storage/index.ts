// storage: piece <-> file mapping on disk, reading and hashing the files of a torrent being created.
export * from "./paths.ts";
export * from "./disk.ts";
export * from "./create-files.ts";
