// The in-memory transport pair and network (peer/memory-transport.ts): order, asynchrony, bytes taken,
// drain under a small capacity, one close per end, idle timeout on a fake clock, refused dials.

import { describe, expect, test } from "bun:test";
import { memoryNetwork, memoryTransportPair, type DialHandler, type Transport } from "../../src/peer/index.ts";
import { FakeTime, Recorder } from "../helpers/fake-time.ts";

const A = { host: "127.0.0.1", port: 1 };
const B = { host: "127.0.0.1", port: 2 };
const text = (s: string) => new TextEncoder().encode(s);

/** Records what a transport reports. */
function record(t: Transport) {
  const data = new Recorder<string>();
  const closes = new Recorder<string>();
  let drains = 0;
  t.handler = {
    data: (c) => data.push(new TextDecoder().decode(c)),
    drain: () => drains++,
    close: (r) => closes.push(r),
  };
  return { data, closes, drains: () => drains };
}

describe("memoryTransportPair", () => {
  test("writes arrive on the other end later, in order, as copies; each end knows the other's address", async () => {
    const [a, b] = memoryTransportPair(A, B);
    expect(a.remoteAddress).toEqual(B);
    expect(b.remoteAddress).toEqual(A);
    const atB = record(b);
    const buf = text("xhello");
    expect(a.write(buf, 1, 5)).toBe(5);
    buf.fill(0); // the caller may reuse its buffer once write returned
    expect(a.write(text("world"), 0, 5)).toBe(5);
    expect(atB.data.items).toEqual([]); // never synchronously
    expect(await atB.data.waitFor(2)).toEqual(["hello", "world"]);
  });

  test("a small capacity takes part of a write, then drains once the other end has received it", async () => {
    const [a, b] = memoryTransportPair(A, B, { capacityBytes: 4 });
    const atA = record(a);
    const atB = record(b);
    expect(a.write(text("abcdef"), 0, 6)).toBe(4);
    expect(a.write(text("ef"), 0, 2)).toBe(0);
    await atB.data.waitFor(1);
    expect(atB.data.items).toEqual(["abcd"]);
    expect(atA.drains()).toBe(1);
    expect(a.write(text("ef"), 0, 2)).toBe(2);
    await atB.data.waitFor(2);
    expect(atA.drains()).toBe(1); // nothing was cut short the second time
  });

  test("end delivers what was written, then closes both ends once; writes after it take nothing", async () => {
    const [a, b] = memoryTransportPair(A, B);
    const atA = record(a);
    const atB = record(b);
    a.write(text("last"), 0, 4);
    a.end();
    a.end();
    expect(a.write(text("more"), 0, 4)).toBe(0);
    await Promise.all([atA.closes.waitFor(1), atB.closes.waitFor(1)]);
    expect(atB.data.items).toEqual(["last"]);
    b.terminate();
    await Promise.resolve();
    expect(atA.closes.items).toEqual(["closed"]);
    expect(atB.closes.items).toEqual(["closed by peer"]);
  });

  test("terminate drops what is in flight and closes both ends once", async () => {
    const [a, b] = memoryTransportPair(A, B);
    const atA = record(a);
    const atB = record(b);
    a.write(text("lost"), 0, 4);
    a.terminate();
    a.end();
    await Promise.all([atA.closes.waitFor(1), atB.closes.waitFor(1)]);
    expect(atB.data.items).toEqual([]);
    expect(atA.closes.items).toEqual(["terminated"]);
    expect(atB.closes.items).toEqual(["connection reset by peer"]);
  });

  test("two ends answering each other without end still let the event loop turn (a test timeout can fire)", async () => {
    const [a, b] = memoryTransportPair(A, B);
    const CAP = 1_000_000; // stops the echo if the loop never turns, so a regression fails rather than hangs
    let rounds = 0;
    const echo = (t: Transport) => (c: Uint8Array) => void (++rounds < CAP && t.write(c, 0, c.length));
    a.handler = { data: echo(a), drain() {}, close() {} };
    b.handler = { data: echo(b), drain() {}, close() {} };
    a.write(text("x"), 0, 1);
    await new Promise((resolve) => setImmediate(resolve));
    a.terminate();
    expect(rounds).toBeGreaterThan(0);
    expect(rounds).toBeLessThan(CAP);
  });

  test("the idle timeout runs on the injected clock and is reset by received bytes", async () => {
    const time = new FakeTime();
    const [a, b] = memoryTransportPair(A, B, { clock: time });
    const atA = record(a);
    const atB = record(b);
    a.setIdleTimeout(10);
    time.advance(9_000);
    b.write(text("x"), 0, 1);
    await atA.data.waitFor(1);
    time.advance(9_000);
    expect(atA.closes.items).toEqual([]);
    time.advance(1_000);
    expect(atA.closes.items).toEqual(["timed out"]);
    expect(atB.closes.items).toEqual(["closed by peer"]);
  });
});

describe("memoryNetwork", () => {
  function dialHandler() {
    const opened = Promise.withResolvers<Transport>();
    const closed = Promise.withResolvers<string>();
    const handler: DialHandler = { open: (t) => opened.resolve(t), data() {}, drain() {}, close: (r) => closed.resolve(r) };
    return { handler, opened: opened.promise, closed: closed.promise };
  }

  test("a dial reaches the listener at that address; bytes flow both ways", async () => {
    const net = memoryNetwork({ localAddress: { host: "127.0.0.1", port: 5000 } });
    const accepted = Promise.withResolvers<Transport>();
    net.listen(B, (t) => accepted.resolve(t));
    const d = dialHandler();
    net.dialer(B, d.handler);
    const [mine, theirs] = await Promise.all([d.opened, accepted.promise]);
    expect(mine.remoteAddress).toEqual(B);
    expect(theirs.remoteAddress).toEqual({ host: "127.0.0.1", port: 5000 });
    expect(net.dials).toEqual(["127.0.0.1:2"]);
    const atTheirs = record(theirs);
    const atMine = record(mine);
    mine.write(text("ping"), 0, 4);
    expect(await atTheirs.data.waitFor(1)).toEqual(["ping"]);
    theirs.write(text("pong"), 0, 4);
    expect(await atMine.data.waitFor(1)).toEqual(["pong"]);
  });

  test("a dial to an address nobody listens on (or no longer) is refused with a reason", async () => {
    const net = memoryNetwork();
    const stop = net.listen(B, () => undefined);
    stop();
    const d = dialHandler();
    net.dialer(B, d.handler);
    expect(await d.closed).toBe("connect failed: connection refused (127.0.0.1:2)");
  });
});
