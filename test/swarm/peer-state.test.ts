import { describe, expect, test } from "bun:test";
import type { PeerConnection } from "../../src/peer/index.ts";
import { DEAD_PEER_TIMEOUT_MS, KEEP_ALIVE_INTERVAL_MS, PeerState, SNUB_TIMEOUT_MS } from "../../src/swarm/index.ts";

function peer() {
  const sent: Uint8Array[] = [];
  const conn = { sentMessages: 0, send: (b: Uint8Array) => (sent.push(b), conn.sentMessages++) };
  return { state: new PeerState(conn as unknown as PeerConnection, "127.0.0.1:1", 8, 0), conn, sent };
}

describe("PeerState.tick", () => {
  test("a keep-alive after a minute of saying nothing, not before, and not while we talk", () => {
    const { state, conn, sent } = peer();
    for (let t = 1000; t < KEEP_ALIVE_INTERVAL_MS; t += 1000) state.tick(t, 1000);
    expect(sent).toEqual([]);
    state.tick(KEEP_ALIVE_INTERVAL_MS, 1000);
    expect(sent).toEqual([new Uint8Array(4)]);
    // Talking resets the clock.
    conn.sentMessages += 5;
    state.tick(KEEP_ALIVE_INTERVAL_MS + 1000, 1000);
    state.tick(KEEP_ALIVE_INTERVAL_MS + 30_000, 1000);
    expect(sent.length).toBe(1);
    state.tick(2 * KEEP_ALIVE_INTERVAL_MS + 1000, 1000);
    expect(sent.length).toBe(2);
  });

  test("requests outstanding with no block: snubbing after 30 s (once), dead after 90 s", () => {
    const { state } = peer();
    state.requests.add(1);
    expect(state.tick(SNUB_TIMEOUT_MS, 1000)).toBeUndefined();
    expect(state.tick(SNUB_TIMEOUT_MS + 1, 1000)).toBe("snubbing");
    expect(state.snubbed).toBe(true);
    expect(state.tick(SNUB_TIMEOUT_MS + 2, 1000)).toBeUndefined();
    expect(state.tick(DEAD_PEER_TIMEOUT_MS + 1, 1000)).toBe("dead");
  });

  test("no requests outstanding: never snubbing", () => {
    const { state } = peer();
    expect(state.tick(10 * DEAD_PEER_TIMEOUT_MS, 1000)).toBeUndefined();
  });
});
