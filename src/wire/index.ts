// wire: the peer protocol's pure codecs (handshake, messages, framer, bitfield, BEP 10 extended, BEP 9
// ut_metadata and its assembler, BEP 11 ut_pex, MSE/PE and RC4); no I/O.
export * from "./handshake.ts";
export * from "./messages.ts";
export * from "./framer.ts";
export * from "./bitfield.ts";
export * from "./extended.ts";
export * from "./ut-metadata.ts";
export * from "./metadata-assembler.ts";
export * from "./ut-pex.ts";
export * from "./rc4.ts";
export * from "./mse.ts";
export * from "./mse-initiator.ts";
export * from "./hash-messages.ts";
