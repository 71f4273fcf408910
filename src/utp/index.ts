// utp: uTP (BEP 29) over UDP: the packet codec, congestion control and connection state machine (pure),
// and the UDP socket that carries them (shell).
export * from "./codec.ts";
export * from "./congestion.ts";
export * from "./connection.ts";
export * from "./params.ts";
export * from "./reorder-buffer.ts";
export * from "./send-buffer.ts";
export * from "./socket.ts";
