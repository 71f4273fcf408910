// tracker: HTTP announce codec (pure), BEP 12 tier planning (pure), and the announcer that drives them (shell).
export * from "./http-codec.ts";
export * from "./tiers.ts";
export * from "./http-request.ts";
export * from "./announcer-types.ts";
export * from "./announcer.ts";
