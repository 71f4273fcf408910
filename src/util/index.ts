// util: bytes, sha1, errors, peer addresses, IP text, clock and timers, the announcer contract, logger,
// randomness.
export * from "./errors.ts";
export * from "./bytes.ts";
export * from "./sha1.ts";
export * from "./sha256.ts";
export * from "./peer-address.ts";
export * from "./ip.ts";
export * from "./clock.ts";
export * from "./announcer.ts";
export * from "./log.ts";
export * from "./random.ts";
export * from "./emitter.ts";
export * from "./limits.ts";
export * from "./sha1-pool.ts";
