import { afterEach, describe, expect, test } from "bun:test";
import { TcpTransport, dialTcp, type Transport } from "../../src/peer/index.ts";
import { Recorder } from "../helpers/fake-time.ts";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

describe("TcpTransport", () => {
  test("a dial opens, carries bytes both ways, and reports the remote's end once", async () => {
    const accepted = Promise.withResolvers<Transport>();
    const server = Bun.listen<TcpTransport>({
      hostname: "127.0.0.1",
      port: 0,
      socket: { ...TcpTransport.socketHandlers, open: (s) => accepted.resolve(TcpTransport.accepted(s)) },
    });
    closers.push(() => server.stop(true));
    const opened = Promise.withResolvers<Transport>();
    const got = new Recorder<string>();
    const closes = new Recorder<string>();
    dialTcp({ host: "127.0.0.1", port: server.port }, {
      open: (t) => opened.resolve(t),
      data: (c) => got.push(new TextDecoder().decode(c)),
      drain: () => undefined,
      close: (r) => closes.push(r),
    });
    const client = await opened.promise;
    const remote = await accepted.promise;
    expect(client.kind).toBe("tcp");
    expect(remote.remoteAddress.host).toBe("127.0.0.1");
    const serverGot = new Recorder<string>();
    remote.handler = { data: (c) => serverGot.push(new TextDecoder().decode(c)), drain: () => undefined, close: () => undefined };
    const hello = new TextEncoder().encode("xhellox");
    expect(client.write(hello, 1, 5)).toBe(5);
    expect((await serverGot.waitFor(1)).join("")).toBe("hello");
    remote.write(hello, 0, 7);
    await got.waitFor(1);
    remote.end();
    await closes.waitFor(1);
    expect(closes.items).toEqual(["closed by peer"]);
  });

  test("a refused dial reports close without open", async () => {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = server.port;
    server.stop(true);
    const closed = Promise.withResolvers<string>();
    dialTcp({ host: "127.0.0.1", port }, { open: () => closed.reject(new Error("opened")), data() {}, drain() {}, close: (r) => closed.resolve(r) });
    expect(await closed.promise).toStartWith("connect failed");
  });
});
