// storage: piece <-> file mapping on disk.
export * from "./paths.ts";
export * from "./disk.ts";
