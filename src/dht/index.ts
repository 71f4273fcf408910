// dht: the mainline DHT (BEP 5): KRPC codec, routing table, iterative lookup, tokens, peer store and query
// answering (pure); the UDP node, its state file and the per-torrent announcer (shell).
export * from "./node-id.ts";
export * from "./krpc.ts";
export * from "./routing-table.ts";
export * from "./lookup.ts";
export * from "./tokens.ts";
export * from "./peer-store.ts";
export * from "./rate-limit.ts";
export * from "./server.ts";
export * from "./exchanges.ts";
export * from "./bootstrap.ts";
export * from "./state-file.ts";
export * from "./node-types.ts";
export * from "./node.ts";
export * from "./announcer.ts";
