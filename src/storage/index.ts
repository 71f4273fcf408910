// storage: piece <-> file mapping on disk, resume state, rechecks, and reading the files of a torrent
// being created.
export * from "./paths.ts";
export * from "./disk.ts";
export * from "./parts-store.ts";
export * from "./resume-codec.ts";
export * from "./resume-file.ts";
export * from "./check-plan.ts";
export * from "./recheck.ts";
export * from "./create-files.ts";
export * from "./create-files-v2.ts";
