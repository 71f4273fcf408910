// Connection admission (swarm/connections.ts) over loopback with a fake clock: ourselves refused, the
// live one of two connections to one peer kept, and a silent one giving way to a redial.

import { afterEach, describe, expect, test } from "bun:test";
import { listenForPeers, type PeerConnection, type PeerListener } from "../../src/peer/index.ts";
import { Connections } from "../../src/swarm/connections.ts";
import { systemClock } from "../../src/util/index.ts";
import { makeReserved } from "../../src/wire/index.ts";
import { dialFakeSeeder } from "../helpers/fake-peer.ts";
import { Recorder } from "../helpers/fake-time.ts";

const torrent = { infoHash: new Uint8Array(20).fill(4), pieceLength: 16384, totalLength: 16384, data: new Uint8Array(16384) };
const ourId = new TextEncoder().encode("-RP0001-connections1");
const theirId = new TextEncoder().encode("-ZZ0001-samepeer0001");
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function setup() {
  let now = 0;
  const closed: string[] = [];
  // Admissions and closes as they happen, awaited by count (no polling).
  const admissions = new Recorder<PeerConnection>();
  const closes = new Recorder<string>();
  const messages = new Recorder<string>();
  const config = {
    identity: { infoHash: torrent.infoHash, peerId: ourId, reserved: makeReserved({ fast: true }) },
    maxPeers: 10,
    maxMessageLength: 1 << 20,
    // Only the admission clock is fake here; handshake deadlines keep real timers (real sockets).
    clock: { ...systemClock, now: () => now },
  };
  const conns = new Connections<{ conn: PeerConnection }>(config, {
    isOpen: () => true,
    admit: (conn) => ({ conn }),
    admitted: (peer) => admissions.push(peer.conn),
    message: (_peer, msg) => messages.push(msg.type),
    closed: (_conn, reason, peer) => {
      if (peer) closed.push(reason);
      closes.push(reason);
    },
  });
  const listener: PeerListener = listenForPeers("127.0.0.1", 0, () => conns.acceptIncoming());
  cleanup.push(() => listener.stop());
  const dial = async (peerId: Uint8Array) => {
    const d = await dialFakeSeeder(torrent, listener.port, { peerId });
    cleanup.push(() => d.stop());
    return d;
  };
  return { conns, closed, admissions, closes, messages, dial, advance: (ms: number) => void (now += ms) };
}

describe("Connections", () => {
  test("a connection from ourselves is refused", async () => {
    const { conns, dial } = setup();
    const self = await dial(ourId);
    await self.closed;
    expect(conns.peers.size).toBe(0);
  });

  test("a second connection from a peer already connected for a while is refused; the first stays", async () => {
    const { conns, closed, admissions, dial, advance } = setup();
    const first = await dial(theirId);
    await admissions.waitFor(1);
    expect(conns.peers.size).toBe(1);
    advance(10_000);
    const second = await dial(theirId);
    await second.closed;
    expect(conns.peers.size).toBe(1);
    expect(closed).toEqual([]);
    expect(first.remotePeerIds.length).toBe(1);
  });

  test("after a minute of silence the old connection gives way to the redial", async () => {
    const { conns, closed, admissions, closes, messages, dial, advance } = setup();
    const first = await dial(theirId);
    // Its bitfield is the last it says: arriving after the clock moves, it would count as fresh.
    expect((await messages.waitFor(1))[0]).toBe("bitfield");
    advance(61_000);
    await dial(theirId);
    await first.closed;
    await admissions.waitFor(2); // the new one admitted
    await closes.waitFor(1); // and the old one reported closed
    expect(conns.peers.size).toBe(1);
    expect(closed).toEqual(["duplicate connection (the old one was silent)"]);
  });
});
