// storage: where a torrent lives under its output directory (paths.ts), piece <-> file mapping on disk,
// resume state, rechecks and the data check at start (data-check.ts), and reading the files of a torrent
// being created.
export * from "./paths.ts";
export * from "./disk.ts";
export * from "./parts-store.ts";
export * from "./resume-codec.ts";
export * from "./resume-file.ts";
export * from "./check-plan.ts";
export * from "./recheck.ts";
export * from "./data-check.ts";
export * from "./create-files.ts";
export * from "./create-files-v2.ts";
