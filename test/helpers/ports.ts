// Test helper: free loopback ports for real peers, and waiting until a port accepts TCP connections.
// Everything binds and connects to literal 127.0.0.1 only.

import { DEFAULT_WAIT_MS, waitFor } from "./process.ts";

const handedOut = new Set<number>();

async function udpPortFree(port: number): Promise<boolean> {
  try {
    const sock = await Bun.udpSocket({ hostname: "127.0.0.1", port });
    sock.close();
    return true;
  } catch {
    // EADDRINUSE: some other process holds this UDP port; the caller tries another.
    return false;
  }
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close). With `udp: true`
 * the same number is also free for UDP (opentracker and Transmission use TCP and UDP on one port).
 * Never returns the same port twice in one test process, so parallel helpers do not collide; another
 * process can still take it before the child binds (small race, acceptable in tests).
 */
export async function freePort(options: { udp?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = server.port;
    server.stop(true);
    if (port < 1024 || handedOut.has(port)) continue;
    if (options.udp && !(await udpPortFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error("could not find a free port on 127.0.0.1 after 50 attempts");
}

/** Whether a TCP connect to 127.0.0.1:port succeeds right now (the connection is closed at once). */
export async function isPortOpen(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, error() {} } });
    socket.end();
    return true;
  } catch {
    // ECONNREFUSED: nobody listens yet.
    return false;
  }
}

/** Waits until 127.0.0.1:port accepts TCP connections; `check` runs each round and may throw (e.g. "process exited"). */
export async function waitForPort(
  port: number,
  options: { timeoutMs?: number; what?: string; check?: () => void } = {},
): Promise<void> {
  await waitFor(
    async () => {
      options.check?.();
      return isPortOpen(port);
    },
    { what: options.what ?? `127.0.0.1:${port} to accept connections`, timeoutMs: options.timeoutMs ?? DEFAULT_WAIT_MS },
  );
}
