// bencode: strict decoding with raw spans, encoding through the `bencode` package, typed access helpers.
export * from "./decode.ts";
export * from "./encode.ts";
export * from "./access.ts";
