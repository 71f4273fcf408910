// Listener for incoming peer connections (Bun.listen); routes each by the infoHash in its handshake.
// Shell: owns the listening socket.

import type { Socket, TCPSocketListener } from "bun";
import { networkInterfaces } from "node:os";
import { LIMITS, RippleError, bytesEqual, errorMessage, type Clock } from "../util/index.ts";
import { mseTorrentHash } from "../wire/index.ts";
import { PeerConnection, type LocalIdentity, type PeerHandler } from "./connection.ts";
import type { EncryptionPolicy } from "./encryption.ts";
import { TcpTransport, type Transport } from "./transport.ts";

export type IncomingRoute = (infoHash: Uint8Array) => { identity: LocalIdentity; handler: PeerHandler } | undefined;

export interface PeerListener {
  readonly port: number;
  stop(): void;
}

export interface AcceptOptions {
  handshakeTimeoutMs?: number;
  infoHashes?: () => Iterable<Uint8Array>;
  encryption?: EncryptionPolicy;
  /** Runs the handshake deadline; default the system clock. */
  clock?: Clock;
}

/**
 * What to do with each incoming transport (TCP or uTP): a PeerConnection routed by its handshake, or a
 * hang-up past LIMITS.incomingHandshakes connections still owing one, so a crowd of slow or silent
 * dialers cannot hold connections until each one's deadline. Returns false when it hung up.
 */
export function createAcceptor(route: IncomingRoute, opts: AcceptOptions = {}): (transport: Transport) => boolean {
  const infoHashes = opts.infoHashes;
  const mse = infoHashes && ((req2: Uint8Array) => [...infoHashes()].find((ih) => bytesEqual(mseTorrentHash(ih), req2)));
  /** Incoming connections that have not completed their handshake yet. */
  const waiting = new Set<PeerConnection>();
  return (transport) => {
    for (const c of waiting) if (c.closed || c.remotePeerId !== undefined) waiting.delete(c);
    if (waiting.size >= LIMITS.incomingHandshakes) {
      transport.terminate();
      return false;
    }
    waiting.add(PeerConnection.accept(transport, route, opts.handshakeTimeoutMs, mse, opts.encryption, opts.clock));
    return true;
  };
}

/**
 * Listens on host:port (port 0 picks a free one); throws RippleError("PORT_IN_USE") when taken.
 * `handshakeTimeoutMs`: how long an incoming peer has to complete its handshake (default HANDSHAKE_TIMEOUT_MS).
 * `infoHashes`: the torrents served now; given, peers may open with an MSE/PE handshake (peer/encryption.ts).
 * `encryption`: "require" accepts only RC4 and refuses plain handshakes; otherwise both are answered.
 */
export function listenForPeers(
  host: string,
  port: number,
  route: IncomingRoute,
  opts: AcceptOptions = {},
  accept: (transport: Transport) => boolean = createAcceptor(route, opts),
): PeerListener {
  let server: TCPSocketListener<TcpTransport>;
  try {
    server = Bun.listen<TcpTransport>({
      hostname: host,
      port,
      socket: {
        ...TcpTransport.socketHandlers,
        open(socket: Socket<TcpTransport>) {
          accept(TcpTransport.accepted(socket));
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

/**
 * Listens for IPv6 and IPv4 peers on one port: "[::]" (dual stack where the system allows it), plus
 * 0.0.0.0 on the same port where "[::]" is IPv6 only; 0.0.0.0 alone where IPv6 is unavailable.
 */
export function listenDualStack(port: number, route: IncomingRoute, opts: AcceptOptions = {}, accept = createAcceptor(route, opts)): PeerListener {
  let v6: PeerListener;
  try {
    v6 = listenForPeers("::", port, route, opts, accept);
  } catch (err) {
    // No IPv6 on this machine (or the port is taken: the IPv4 attempt reports that).
    if (!isIpv6Unavailable(err)) throw err;
    return listenForPeers("0.0.0.0", port, route, opts, accept);
  }
  let v4: PeerListener | undefined;
  try {
    v4 = listenForPeers("0.0.0.0", v6.port, route, opts, accept);
  } catch {
    // ignore: "[::]" is dual stack (the usual case), so it holds the IPv4 port already.
  }
  return {
    port: v6.port,
    stop: () => {
      v6.stop();
      v4?.stop();
    },
  };
}

/** Whether a listen error says the address family is missing rather than the port taken. */
function isIpv6Unavailable(err: unknown): boolean {
  return !/EADDRINUSE|in use/i.test(errorMessage(err));
}

/** The first global unicast IPv6 address (2000::/3) of this machine's interfaces, if any; read locally, nothing sent. */
export function globalIpv6Address(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv6" && !a.internal && /^[23][0-9a-f]{3}:/i.test(a.address)) return a.address;
  }
  return undefined;
}
