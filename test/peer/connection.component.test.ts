// PeerConnection over in-memory transports on a fake clock: the handshake deadline, the idle timeout,
// message delivery and backpressure, with a scripted remote and no sockets or real timers.

import { describe, expect, test } from "bun:test";
import {
  HANDSHAKE_TIMEOUT_MS,
  IDLE_TIMEOUT_SEC,
  PeerConnection,
  memoryTransportPair,
  type PeerHandler,
} from "../../src/peer/index.ts";
import { encodeMessage, makeReserved, type Handshake, type PeerMessage } from "../../src/wire/index.ts";
import { FakeTime, Recorder, settle } from "../helpers/fake-time.ts";
import { ScriptedPeer, scriptedNetwork } from "../helpers/scripted-peer.ts";

const infoHash = new Uint8Array(20).fill(7);
const identity = { infoHash, peerId: new TextEncoder().encode("-RP0001-connection01"), reserved: makeReserved({ fast: true }) };
const remoteId = new TextEncoder().encode("-SC0001-remote000001");
const REMOTE = { host: "127.0.0.1", port: 6881 };

/** A PeerHandler that records what reaches the swarm. */
function recordingHandler() {
  const handshakes = new Recorder<Handshake>();
  const messages = new Recorder<PeerMessage>();
  const closes = new Recorder<string>();
  let drains = 0;
  const handler: PeerHandler = {
    onHandshake: (_c, hs) => (handshakes.push(hs), true),
    onMessage: (_c, msg) => messages.push(msg.type === "piece" ? { ...msg, block: msg.block.slice() } : msg),
    onDrain: () => drains++,
    onClose: (_c, reason) => closes.push(reason),
  };
  return { handler, handshakes, messages, closes, drains: () => drains };
}

/** Dials a scripted remote that answers (or not) through `script`. */
async function dial(script: (peer: ScriptedPeer) => void, capacityBytes?: number) {
  const time = new FakeTime();
  const swarm = scriptedNetwork({ clock: time, ...(capacityBytes !== undefined && { capacityBytes }) });
  swarm.listen(REMOTE, script);
  const rec = recordingHandler();
  const conn = PeerConnection.connect(REMOTE, identity, rec.handler, 1 << 20, undefined, undefined, swarm.net.dialer, time);
  const remote = (await swarm.accepted.waitFor(1))[0]!.peer;
  return { time, conn, remote, ...rec };
}

const answer = (peer: ScriptedPeer) => {
  peer.onEvent = (e) => e.type === "handshake" && peer.handshake(infoHash, remoteId);
};

describe("PeerConnection over a memory transport", () => {
  test("a dialed peer that never answers the handshake is closed when the fake clock reaches the deadline", async () => {
    const c = await dial(() => undefined);
    expect((await c.remote.next())?.type).toBe("handshake"); // ours went out first (BEP 3)
    c.time.advance(HANDSHAKE_TIMEOUT_MS - 1);
    await settle();
    expect(c.conn.closed).toBe(false);
    c.time.advance(1);
    expect(c.conn.closed).toBe(true);
    expect(await c.closes.waitFor(1)).toEqual([`handshake not completed within ${HANDSHAKE_TIMEOUT_MS} ms (peer 127.0.0.1:6881)`]);
    expect(await c.remote.closed).toBe("connection reset by peer");
  });

  test("an accepted connection trickling a partial handshake is cut at the deadline, not kept alive by its bytes", async () => {
    const time = new FakeTime();
    const [ours, theirs] = memoryTransportPair({ host: "127.0.0.1", port: 1 }, REMOTE, { clock: time });
    const rec = recordingHandler();
    const conn = PeerConnection.accept(ours, () => ({ identity, handler: rec.handler }), 5_000, undefined, "prefer", time);
    const remote = new ScriptedPeer(theirs);
    for (let i = 0; i < 4; i++) {
      remote.send(new Uint8Array([19]));
      time.advance(1_000);
      await settle();
    }
    expect(conn.closed).toBe(false);
    time.advance(1_000);
    expect(conn.closed).toBe(true);
    expect(await remote.closed).toBe("connection reset by peer");
    expect(rec.closes.items).toEqual([]); // never routed to a torrent, so no handler hears of it
  });

  test("a completed handshake lifts the deadline; messages reach the handler in order", async () => {
    const c = await dial(answer);
    const [hs] = await c.handshakes.waitFor(1);
    expect(hs!.peerId).toEqual(remoteId);
    c.time.advance(HANDSHAKE_TIMEOUT_MS * 2);
    await settle();
    expect(c.conn.closed).toBe(false);
    c.remote.sendMessage({ type: "unchoke" });
    c.remote.sendMessage({ type: "have", index: 3 });
    expect((await c.messages.waitFor(2)).map((m) => m.type)).toEqual(["unchoke", "have"]);
  });

  test("a peer silent from its handshake on is dropped when the idle timeout passes on the fake clock", async () => {
    const c = await dial(answer);
    await c.handshakes.waitFor(1);
    c.time.advance(IDLE_TIMEOUT_SEC * 1000 - 1);
    expect(c.conn.closed).toBe(false);
    c.time.advance(1);
    expect(await c.closes.waitFor(1)).toEqual(["timed out"]);
  });

  test("each received byte restarts the idle timeout", async () => {
    const c = await dial(answer);
    await c.handshakes.waitFor(1);
    c.time.advance(IDLE_TIMEOUT_SEC * 1000 - 1);
    c.remote.send(new Uint8Array(4)); // a keep-alive
    await settle();
    c.time.advance(IDLE_TIMEOUT_SEC * 1000 - 1);
    expect(c.conn.closed).toBe(false);
    c.time.advance(1);
    expect(await c.closes.waitFor(1)).toEqual(["timed out"]);
  });

  test("a send larger than the transport takes arrives whole after drains, and the swarm hears the drain", async () => {
    const c = await dial(answer, 1000);
    await c.handshakes.waitFor(1);
    const block = new Uint8Array(16_384).map((_, i) => i % 251);
    c.conn.send(encodeMessage({ type: "piece", index: 1, begin: 0, block }));
    expect(c.conn.queuedBytes).toBeGreaterThan(0);
    const got = await c.remote.nextOf("piece");
    expect(got?.block).toEqual(block);
    await settle();
    expect(c.conn.queuedBytes).toBe(0);
    expect(c.drains()).toBeGreaterThan(0);
  });
});
