// webseed: BEP 19 HTTP origins as seeds: URL building and range planning (pure), Range requests (shell).
export * from "./url.ts";
export * from "./ranges.ts";
export * from "./backoff.ts";
export * from "./http.ts";
