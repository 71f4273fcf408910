import { afterEach, describe, test } from "bun:test";
import { listenForPeers, type PeerListener } from "../../src/peer/index.ts";
import { LIMITS } from "../../src/util/index.ts";
import { encodeHandshake } from "../../src/wire/index.ts";

const opened: { end(): void }[] = [];
let listener: PeerListener | undefined;
afterEach(() => {
  for (const s of opened.splice(0)) s.end();
  listener?.stop();
});

/** A TCP client that says nothing; resolves `closed` when the listener hangs up. */
async function silent(port: number) {
  const closed = Promise.withResolvers<void>();
  const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, close: () => closed.resolve(), error() {} } });
  opened.push(socket);
  return { socket, closed: closed.promise };
}

describe("listener", () => {
  test("connections still owing a handshake are capped; one more is hung up on at once", async () => {
    // (The 64 silent ones would wait 60 s for their deadline: the extra one must not.)
    const routed = Promise.withResolvers<void>();
    listener = listenForPeers("127.0.0.1", 0, () => (routed.resolve(), undefined), { handshakeTimeoutMs: 60_000 });
    const first = [];
    for (let i = 0; i < LIMITS.incomingHandshakes; i++) first.push(await silent(listener.port));
    const extra = await silent(listener.port);
    await extra.closed; // hung up without waiting for the 60 s deadline
    // Room again once one of them goes away.
    first[0]!.socket.end();
    await first[0]!.closed;
    // Accepted this time: its handshake is read and routed (to no torrent, so then it is closed).
    const later = await silent(listener.port);
    later.socket.write(encodeHandshake({ infoHash: new Uint8Array(20), peerId: new Uint8Array(20) }));
    await routed.promise;
    await later.closed;
  });
});
