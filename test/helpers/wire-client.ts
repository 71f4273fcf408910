// Test helper: a minimal scripted peer that dials 127.0.0.1:port, handshakes and exchanges raw messages,
// for checking how a client treats a peer message by message. Events are copied out of framer views.

import {
  Framer,
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  maxMessageLengthFor,
  type Handshake,
  type PeerMessage,
} from "../../src/wire/index.ts";

export type WireEvent = { type: "handshake"; hs: Handshake } | PeerMessage;

export interface WireClient {
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  send(bytes: Uint8Array): void;
  /** The next event, or undefined once the socket closed with nothing left. */
  next(): Promise<WireEvent | undefined>;
  /** Skips events until one of `type` arrives; undefined if the socket closes first. */
  nextOf<T extends WireEvent["type"]>(type: T): Promise<Extract<WireEvent, { type: T }> | undefined>;
  end(): void;
}

/** Framer handlers that turn frames into WireEvents, copied out of the framer's views. */
export function wireEventHandlers(push: (e: WireEvent) => void) {
  return {
    handshake: (bytes: Uint8Array) => push({ type: "handshake", hs: decodeHandshake(bytes) }),
    message: (id: number, payload: Uint8Array) => {
      const msg = decodeMessage(id, payload);
      push(msg.type === "piece" ? { ...msg, block: msg.block.slice() } : msg.type === "bitfield" ? { ...msg, bytes: msg.bytes.slice() } : msg);
    },
    keepAlive: () => {},
  };
}

export async function connectWireClient(
  port: number,
  infoHash: Uint8Array,
  options: { reserved?: Uint8Array; peerId?: Uint8Array } = {},
): Promise<WireClient> {
  const framer = new Framer({ maxMessageLength: maxMessageLengthFor(4096), expectHandshake: true });
  const inbox: WireEvent[] = [];
  let wake: (() => void) | undefined;
  const closed = Promise.withResolvers<void>();
  let isClosed = false;
  const push = (e: WireEvent): void => {
    inbox.push(e);
    wake?.();
  };
  const handlers = wireEventHandlers(push);
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data: (_s, chunk) => framer.push(chunk, handlers),
      close: () => {
        isClosed = true;
        closed.resolve();
        wake?.();
      },
      error: () => {
        // The close callback follows and resolves `closed`.
      },
    },
  });
  socket.write(encodeHandshake({ infoHash, peerId: options.peerId ?? new Uint8Array(20).fill(0x22), reserved: options.reserved }));
  const next = async (): Promise<WireEvent | undefined> => {
    while (inbox.length === 0) {
      if (isClosed) return undefined;
      const { promise, resolve } = Promise.withResolvers<void>();
      wake = resolve;
      await Promise.race([promise, closed.promise]);
      await Promise.resolve();
    }
    return inbox.shift();
  };
  return {
    closed: closed.promise,
    get isClosed() {
      return isClosed;
    },
    send: (bytes) => void socket.write(bytes),
    next,
    async nextOf(type) {
      for (;;) {
        const e = await next();
        if (e === undefined || e.type === type) return e as never;
      }
    },
    end: () => socket.end(),
  };
}
