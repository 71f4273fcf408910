import { afterEach, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import { ST_DATA, ST_STATE, ST_SYN, SYN_ATTEMPTS, SYN_TIMEOUT_MS, UtpSocket, decodePacket, encodePacket, type UtpStream } from "../../src/utp/index.ts";
import { FakeTime, Recorder, settle } from "../helpers/fake-time.ts";
import { patternBytes } from "../helpers/torrent-fixture.ts";

const sockets: UtpSocket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function pair(onIncoming?: (s: UtpStream) => boolean) {
  const server = await UtpSocket.bind({ host: "127.0.0.1", port: 0, ...(onIncoming && { onIncoming }) });
  const client = await UtpSocket.bind({ host: "127.0.0.1", port: 0 });
  sockets.push(server, client);
  return { server, client };
}

/** Reads everything a stream delivers until it closes. */
function collect(stream: UtpStream): Promise<{ bytes: Uint8Array; reason: string }> {
  const chunks: Uint8Array[] = [];
  const done = Promise.withResolvers<{ bytes: Uint8Array; reason: string }>();
  stream.handler = {
    connect: () => undefined,
    data: (b) => chunks.push(b.slice()),
    drain: () => undefined,
    close: (reason) => done.resolve({ bytes: Buffer.concat(chunks), reason }),
  };
  return done.promise;
}

/** Writes `data` through the connection's backpressure, then ends it. */
function writeAll(stream: UtpStream, data: Uint8Array): void {
  let at = 0;
  const pump = () => {
    while (at < data.length) {
      const n = stream.connection.write(data, at, data.length - at);
      at += n;
      if (n === 0) return;
    }
    stream.connection.end();
  };
  stream.handler = { connect: pump, data: () => undefined, drain: pump, close: () => undefined };
}

describe("UtpSocket on 127.0.0.1", () => {
  test("a dial is accepted and 4 MiB arrive byte-identical, then FIN closes both ends", async () => {
    const received = Promise.withResolvers<Promise<{ bytes: Uint8Array; reason: string }>>();
    const { server, client } = await pair((s) => (received.resolve(collect(s)), true));
    const data = patternBytes(4 * 1024 * 1024 + 123, 29);
    const stream = client.dial({ host: "127.0.0.1", port: server.port }, undefined);
    writeAll(stream, data);
    const got = await (await received.promise);
    expect(got.reason).toBe("closed by peer");
    expect(got.bytes.length).toBe(data.length);
    expect(Buffer.compare(got.bytes, data)).toBe(0);
  });

  test("a SYN to a socket that takes no connections is reset at once", async () => {
    const { server, client } = await pair();
    const closed = Promise.withResolvers<string>();
    client.dial({ host: "127.0.0.1", port: server.port }, { connect: () => undefined, data: () => undefined, drain: () => undefined, close: (r) => closed.resolve(r) });
    expect(await closed.promise).toBe("connection reset by peer");
    expect(server.counters.refused).toBe(1);
  });

  test("garbage and packets for unknown connection ids are counted and dropped; live connections go on", async () => {
    const received = Promise.withResolvers<Promise<{ bytes: Uint8Array; reason: string }>>();
    const { server, client } = await pair((s) => (received.resolve(collect(s)), true));
    const stranger = dgram.createSocket("udp4");
    const sent = Promise.withResolvers<void>();
    stranger.bind(0, "127.0.0.1", () => sent.resolve());
    await sent.promise;
    const garbage = [new Uint8Array([1, 2, 3]), new Uint8Array(40).fill(0xff)];
    const unknown = ([ST_DATA, ST_STATE] as const).map((type) =>
      encodePacket({ type, connectionId: 777, timestampUs: 0, timestampDiffUs: 0, windowBytes: 0xffffffff, seq: 5, ack: 9, payload: new Uint8Array(10) }),
    );
    const data = patternBytes(300_000, 7);
    const stream = client.dial({ host: "127.0.0.1", port: server.port }, undefined);
    for (const d of [...garbage, ...unknown]) stranger.send(d, server.port, "127.0.0.1");
    writeAll(stream, data);
    const got = await (await received.promise);
    stranger.close();
    expect(Buffer.compare(got.bytes, data)).toBe(0);
    expect(server.counters.malformed).toBe(2);
    expect(server.counters.unknown).toBe(2);
  });

  test("a dial nobody answers is given up after its SYNs, on the socket's clock", async () => {
    // A UDP socket that takes every datagram and answers none.
    const syns = new Recorder<number>();
    const silent = dgram.createSocket("udp4");
    silent.on("message", (msg) => syns.push(decodePacket(msg).type));
    const bound = Promise.withResolvers<void>();
    silent.bind(0, "127.0.0.1", () => bound.resolve());
    await bound.promise;
    const time = new FakeTime();
    const client = await UtpSocket.bind({ host: "127.0.0.1", port: 0, clock: time });
    sockets.push(client);
    try {
      const closed: string[] = [];
      client.dial({ host: "127.0.0.1", port: silent.address().port }, { connect: () => undefined, data: () => undefined, drain: () => undefined, close: (r) => closed.push(r) });
      const giveUpMs = SYN_ATTEMPTS * SYN_TIMEOUT_MS;
      time.advance(giveUpMs - 1);
      await settle();
      expect(closed).toEqual([]);
      expect(client.connectionCount).toBe(1);
      expect(await syns.waitFor(SYN_ATTEMPTS)).toEqual(Array(SYN_ATTEMPTS).fill(ST_SYN));
      time.advance(1);
      expect(closed).toEqual([`utp connect timed out after ${SYN_ATTEMPTS} SYNs`]);
      expect(client.connectionCount).toBe(0);
      expect(time.pending).toBe(0); // no connections, no tick
    } finally {
      silent.close();
    }
  });
});
