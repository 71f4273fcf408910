// tracker: HTTP and UDP (BEP 15) announce codecs (pure), BEP 12 tier planning (pure), the HTTP and UDP
// request shells and the announcer that drives them, and the tracker server.
export * from "./http-codec.ts";
export * from "./tiers.ts";
export * from "./http-request.ts";
export * from "./udp-codec.ts";
export * from "./udp-request.ts";
export * from "./announcer-types.ts";
export * from "./announcer.ts";
export * from "./server-ip.ts";
export * from "./server-swarm.ts";
export * from "./server-http-codec.ts";
export * from "./server-udp.ts";
export * from "./server.ts";
