import { describe, expect, test } from "bun:test";
import { DialTransports, chooseDialer, fallbackDialer, racingDialer, type DialHandler, type Dialer, type Transport } from "../../src/peer/index.ts";
import { isLocalAddress } from "../../src/util/index.ts";
import { UtpSocket } from "../../src/utp/index.ts";

/** A dialer that records its calls and fails or opens as told. */
function scripted(name: string, outcome: "open" | "fail", calls: string[]): Dialer {
  return (address, handler) => {
    calls.push(`${name} ${address.host}`);
    queueMicrotask(() => (outcome === "open" ? handler.open({ kind: name } as unknown as Transport) : handler.close(`${name} refused`)));
  };
}

function recording() {
  const got: string[] = [];
  const done = Promise.withResolvers<void>();
  const handler: DialHandler = {
    open: (t) => (got.push(`open ${t.kind}`), done.resolve()),
    data: () => undefined,
    drain: () => undefined,
    close: (r) => (got.push(`close ${r}`), done.resolve()),
  };
  return { got, handler, done: done.promise };
}

describe("fallbackDialer", () => {
  test("the second transport is dialed only when the first fails before opening", async () => {
    const calls: string[] = [];
    const a = recording();
    fallbackDialer(scripted("utp", "fail", calls), scripted("tcp", "open", calls))({ host: "192.0.2.1", port: 1 }, a.handler);
    await a.done;
    expect(calls).toEqual(["utp 192.0.2.1", "tcp 192.0.2.1"]);
    expect(a.got).toEqual(["open tcp"]);
    const b = recording();
    fallbackDialer(scripted("utp", "open", calls), scripted("tcp", "open", calls))({ host: "192.0.2.1", port: 1 }, b.handler);
    await b.done;
    expect(b.got).toEqual(["open utp"]);
  });

  test("when both fail, the close names both reasons", async () => {
    const calls: string[] = [];
    const r = recording();
    fallbackDialer(scripted("tcp", "fail", calls), scripted("utp", "fail", calls))({ host: "10.0.0.1", port: 1 }, r.handler);
    await r.done;
    expect(r.got).toEqual(["close tcp refused; then utp refused"]);
  });
});

/** A dialer the test settles by hand: `open()` or `fail()` later, or never. */
function held(name: string, calls: string[]) {
  let h: DialHandler | undefined;
  const terminated: string[] = [];
  const dialed = Promise.withResolvers<void>();
  const transport = { kind: name, terminate: () => terminated.push(name) } as unknown as Transport;
  const dial: Dialer = (address, handler) => {
    calls.push(`${name} ${address.host}`);
    h = handler;
    dialed.resolve();
  };
  return { dial, terminated, dialed: dialed.promise, open: () => h!.open(transport), fail: () => h!.close(`${name} timed out`) };
}

describe("racingDialer", () => {
  test("a first transport that opens in time is the only one dialed", async () => {
    const calls: string[] = [];
    const r = recording();
    racingDialer(scripted("utp", "open", calls), scripted("tcp", "open", calls), 60_000)({ host: "192.0.2.1", port: 1 }, r.handler);
    await r.done;
    expect(calls).toEqual(["utp 192.0.2.1"]);
    expect(r.got).toEqual(["open utp"]);
  });

  test("a first transport still silent after the delay races the second; the first to open wins, the other is closed", async () => {
    const calls: string[] = [];
    const r = recording();
    const utp = held("utp", calls);
    const tcp = held("tcp", calls);
    racingDialer(utp.dial, tcp.dial, 0)({ host: "192.0.2.1", port: 1 }, r.handler);
    expect(calls).toEqual(["utp 192.0.2.1"]);
    await tcp.dialed; // by the race timer
    expect(calls).toEqual(["utp 192.0.2.1", "tcp 192.0.2.1"]);
    tcp.open();
    utp.open(); // late: not wanted any more
    expect(r.got).toEqual(["open tcp"]);
    expect(utp.terminated).toEqual(["utp"]);
    utp.fail(); // its close after the terminate is not the dial's
    expect(r.got).toEqual(["open tcp"]);
  });

  test("a first transport that fails starts the second at once; when both fail the close names both", async () => {
    const calls: string[] = [];
    const r = recording();
    const utp = held("utp", calls);
    const tcp = held("tcp", calls);
    racingDialer(utp.dial, tcp.dial, 60_000)({ host: "192.0.2.1", port: 1 }, r.handler);
    utp.fail();
    expect(calls).toEqual(["utp 192.0.2.1", "tcp 192.0.2.1"]);
    tcp.fail();
    expect(r.got).toEqual(["close utp timed out; then tcp timed out"]);
  });
});

describe("dial preference", () => {
  test("local addresses: loopback, RFC 1918, link-local, the benchmarking range, IPv6 loopback and unique local", () => {
    for (const h of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.0.1", "198.18.0.1", "198.19.255.255", "::1", "fd00::1", "fe80::1", "::ffff:192.168.0.1"]) {
      expect(isLocalAddress(h), h).toBe(true);
    }
    for (const h of ["8.8.8.8", "172.32.0.1", "198.17.255.255", "198.20.0.1", "2001:db8::1", "example.com", "::ffff:8.8.8.8"]) expect(isLocalAddress(h), h).toBe(false);
  });

  test("without a uTP socket, or with uTP off, every dial is TCP", async () => {
    const socket = await UtpSocket.bind({ host: "127.0.0.1", port: 0 });
    try {
      expect(chooseDialer("only", undefined).name).toBe("dialTcp");
      expect(chooseDialer("off", socket).name).toBe("dialTcp");
      expect(chooseDialer("auto", socket).name).not.toBe("dialTcp");
    } finally {
      socket.close();
    }
  });
});

describe("DialTransports", () => {
  test("a transport that opened and then failed before the handshake is tried second next time, until one succeeds", () => {
    const m = new DialTransports();
    expect(m.firstFor("a:1", "tcp")).toBe("tcp");
    m.failedBeforeHandshake("a:1", "tcp");
    expect(m.firstFor("a:1", "tcp")).toBe("utp");
    expect(m.firstFor("a:1", "utp")).toBe("utp");
    m.failedBeforeHandshake("a:1", "utp");
    expect(m.firstFor("a:1", "tcp")).toBe("tcp");
    m.succeeded("a:1");
    expect(m.firstFor("a:1", "utp")).toBe("utp");
    m.failedBeforeHandshake("a:1", undefined);
    expect(m.firstFor("a:1", "utp")).toBe("utp");
  });
});
