// Outstanding KRPC queries: a reply counts only from the address asked, the in-flight cap queues the rest,
// timeouts and close() settle everything. A fake send function and a fake clock; no sockets, no real timers.

import { describe, expect, test } from "bun:test";
import { Exchanges, decodeKrpc, encodeQuery, type KrpcMessage } from "../../src/dht/index.ts";
import type { PeerAddress } from "../../src/util/index.ts";
import { FakeTime, settle } from "../helpers/fake-time.ts";

const A = { host: "127.0.0.1", port: 1 };
const B = { host: "127.0.0.1", port: 2 };
const ID = new Uint8Array(20).fill(1);

function harness(options: { timeoutMs?: number; maxOutstanding?: number; accept?: boolean } = {}) {
  const sent: { t: Uint8Array; to: PeerAddress }[] = [];
  const time = new FakeTime();
  const ex = new Exchanges({
    timers: time,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxOutstanding: options.maxOutstanding ?? 10,
    send: (bytes, to) => {
      sent.push({ t: decodeKrpc(bytes).t, to });
      return options.accept ?? true;
    },
  });
  const ping = (to: PeerAddress) => ex.query(to, (t) => encodeQuery(t, { method: "ping", id: ID }));
  const reply = (t: Uint8Array): Extract<KrpcMessage, { y: "r" }> => ({ y: "r", t, body: { id: ID }, ip: undefined });
  return { ex, sent, ping, reply, time };
}

describe("exchanges", () => {
  test("a reply settles its query only when it comes from the address asked", async () => {
    const { ex, sent, ping, reply } = harness();
    const pending = ping(A);
    expect(sent.length).toBe(1);
    expect(sent[0]!.t.length).toBe(4);
    expect(ex.settle(reply(sent[0]!.t), B)).toBe(false); // spoofed from elsewhere
    expect(ex.settle(reply(new Uint8Array([9, 9, 9, 9])), A)).toBe(false); // unknown transaction
    expect(ex.settle(reply(sent[0]!.t), A)).toBe(true);
    expect(await pending).toMatchObject({ kind: "response", body: { id: ID } });
    expect(ex.settle(reply(sent[0]!.t), A)).toBe(false); // settled already
    expect(ex.counters).toEqual({ queriesSent: 1, responsesReceived: 1, timeouts: 0 });
  });

  test("an error reply settles its query", async () => {
    const { ex, sent, ping } = harness({ timeoutMs: 2_000 });
    const first = ping(A);
    ex.settle({ y: "e", t: sent[0]!.t, code: 203, message: "bad token" }, A);
    expect(await first).toEqual({ kind: "error", code: 203, message: "bad token" });
    expect(ex.counters.timeouts).toBe(0);
  });

  test("an unanswered query times out when its timeout has passed on the clock, not before", async () => {
    const { ex, ping, reply, sent, time } = harness({ timeoutMs: 2_000 });
    let outcome: unknown;
    void ping(B).then((o) => (outcome = o));
    time.advance(1_999);
    await settle();
    expect(outcome).toBeUndefined();
    expect(ex.outstanding).toBe(1);
    time.advance(1);
    await settle();
    expect(outcome).toEqual({ kind: "timeout" });
    expect(ex.outstanding).toBe(0);
    expect(ex.counters.timeouts).toBe(1);
    expect(ex.settle(reply(sent[0]!.t), B)).toBe(false); // a late reply answers nothing
  });

  test("a settled query's timeout no longer runs", async () => {
    const { ex, sent, ping, reply, time } = harness({ timeoutMs: 2_000 });
    const pending = ping(A);
    ex.settle(reply(sent[0]!.t), A);
    expect(await pending).toMatchObject({ kind: "response" });
    time.advance(10_000);
    expect(ex.counters.timeouts).toBe(0);
  });

  test("beyond the in-flight cap queries wait, then go out as slots free up", async () => {
    const { ex, sent, ping, reply } = harness({ maxOutstanding: 2 });
    const results = [ping(A), ping(A), ping(B)];
    await Promise.resolve();
    expect(sent.length).toBe(2);
    expect(ex.queued).toBe(1);
    ex.settle(reply(sent[0]!.t), A);
    await results[0];
    await Promise.resolve();
    expect(sent.length).toBe(3);
    expect(ex.outstanding).toBe(2);
    ex.close();
    expect(await Promise.all(results.slice(1))).toEqual([{ kind: "unsent" }, { kind: "unsent" }]);
    expect(await ping(A)).toEqual({ kind: "unsent" }); // closed
  });

  test("a datagram the socket refuses fails at once as unsent", async () => {
    const { ex, ping } = harness({ accept: false });
    expect(await ping(A)).toEqual({ kind: "unsent" });
    expect(ex.outstanding).toBe(0);
  });
});
