// wire: the peer protocol's pure codecs (handshake, messages, framer, bitfield); no I/O.
export * from "./handshake.ts";
export * from "./messages.ts";
export * from "./framer.ts";
export * from "./bitfield.ts";
