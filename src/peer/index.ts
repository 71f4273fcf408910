// peer: one connection per remote peer over a transport (TCP or uTP), and the listener for incoming ones.
export * from "./connection.ts";
export * from "./listener.ts";
export * from "./write-queue.ts";
export * from "./encryption.ts";
export * from "./transport.ts";
export * from "./utp-transport.ts";
