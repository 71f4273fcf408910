// Listener for incoming peer connections (Bun.listen); routes each by the infoHash in its handshake.
// Shell: owns the listening socket.

import type { Socket, TCPSocketListener } from "bun";
import { LIMITS, RippleError, bytesEqual, errorMessage } from "../util/index.ts";
import { mseTorrentHash } from "../wire/index.ts";
import { PeerConnection, socketHandlers, type LocalIdentity, type PeerHandler } from "./connection.ts";

export type IncomingRoute = (infoHash: Uint8Array) => { identity: LocalIdentity; handler: PeerHandler } | undefined;

export interface PeerListener {
  readonly port: number;
  stop(): void;
}

/**
 * Listens on host:port (port 0 picks a free one); throws RippleError("PORT_IN_USE") when taken.
 * `handshakeTimeoutMs`: how long an incoming peer has to complete its handshake (default HANDSHAKE_TIMEOUT_MS).
 * `infoHashes`: the torrents served now; given, peers may open with an MSE/PE handshake (peer/encryption.ts).
 */
export function listenForPeers(
  host: string,
  port: number,
  route: IncomingRoute,
  opts: { handshakeTimeoutMs?: number; infoHashes?: () => Iterable<Uint8Array> } = {},
): PeerListener {
  const infoHashes = opts.infoHashes;
  const mse = infoHashes && ((req2: Uint8Array) => [...infoHashes()].find((ih) => bytesEqual(mseTorrentHash(ih), req2)));
  let server: TCPSocketListener<PeerConnection>;
  /** Incoming connections that have not completed their handshake yet. */
  const waiting = new Set<PeerConnection>();
  try {
    server = Bun.listen<PeerConnection>({
      hostname: host,
      port,
      socket: {
        ...socketHandlers,
        open(socket: Socket<PeerConnection>) {
          // ignore (hang up): past LIMITS.incomingHandshakes connections still owing a handshake, so
          // a crowd of slow or silent dialers cannot hold sockets until each one's deadline.
          for (const c of waiting) if (c.closed || c.remotePeerId !== undefined) waiting.delete(c);
          if (waiting.size >= LIMITS.incomingHandshakes) {
            socket.terminate();
            return;
          }
          const conn = PeerConnection.accept(socket as Socket<unknown>, route, opts.handshakeTimeoutMs, mse);
          waiting.add(conn);
          socket.data = conn;
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
