// peer: one connection per remote peer over a transport (TCP, uTP, or in memory for tests), and the listener for incoming ones.
export * from "./connection.ts";
export * from "./listener.ts";
export * from "./write-queue.ts";
export * from "./encryption.ts";
export * from "./transport.ts";
export * from "./utp-transport.ts";
export * from "./memory-transport.ts";
