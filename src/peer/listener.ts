// Listener for incoming peer connections (Bun.listen); routes each by the infoHash in its handshake.
// Shell: owns the listening socket.

import type { Socket, TCPSocketListener } from "bun";
import { RippleError, errorMessage } from "../util/index.ts";
import { PeerConnection, socketHandlers, type LocalIdentity, type PeerHandler } from "./connection.ts";

export type IncomingRoute = (infoHash: Uint8Array) => { identity: LocalIdentity; handler: PeerHandler } | undefined;

export interface PeerListener {
  readonly port: number;
  stop(): void;
}

/**
 * Listens on host:port (port 0 picks a free one); throws RippleError("PORT_IN_USE") when taken.
 * `handshakeTimeoutMs`: how long an incoming peer has to complete its handshake (default HANDSHAKE_TIMEOUT_MS).
 */
export function listenForPeers(host: string, port: number, route: IncomingRoute, opts: { handshakeTimeoutMs?: number } = {}): PeerListener {
  let server: TCPSocketListener<PeerConnection>;
  try {
    server = Bun.listen<PeerConnection>({
      hostname: host,
      port,
      socket: {
        ...socketHandlers,
        open(socket: Socket<PeerConnection>) {
          socket.data = PeerConnection.accept(socket as Socket<unknown>, route, opts.handshakeTimeoutMs);
        },
      },
    });
  } catch (err) {
    throw new RippleError("PORT_IN_USE", `cannot listen on ${host}:${port}: ${errorMessage(err)}`, { cause: err });
  }
  return {
    port: server.port,
    stop: () => server.stop(true),
  };
}
