// Test helper: run real third-party BitTorrent programs (opentracker, aria2c, transmission-daemon, mktorrent)
// on 127.0.0.1 with every discovery feature off (DHT, LPD, PEX, UPnP/NAT-PMP, uTP), plus a deterministic
// multi-file payload and a byte-for-byte tree comparison. Test-only; must never reach beyond loopback.

export { freePort, isPortOpen, waitForPort } from "./ports.ts";
export { compareTrees } from "./files.ts";
export {
  hasBinary,
  IS_CI,
  liveLogTails,
  ManagedProcess,
  makeTempDir,
  missingBinaries,
  requireBinary,
  type SpawnManagedOptions,
  spawnManaged,
  stopAllManaged,
  type TempDir,
  tempDir,
  waitFor,
  waitForEvent,
} from "./process.ts";

export * from "./real-process.ts";
export * from "./payload-tree.ts";
export * from "./opentracker.ts";
export * from "./aria2.ts";
export * from "./transmission.ts";
