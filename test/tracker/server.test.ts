// Integration tests for the tracker server on real sockets (127.0.0.1, port 0): HTTP announce/scrape read
// with ripple's own parser, UDP (BEP 15) round trips with the UDP codec, forged ids, garbage, expiry.

import { afterEach, describe, expect, test } from "bun:test";
import { decodeBencode, isDict, type BencodeValue } from "../../src/bencode/index.ts";
import { RippleError, percentEncodeBytes, silentLogger, toHex, utf8 } from "../../src/util/index.ts";
import {
  CONNECTION_ID_BUCKET_MS,
  NOT_ALLOWED_REASON,
  UDP_EVENT,
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  parseAnnounceResponse,
  startTrackerServer,
  type TrackerServer,
  type TrackerServerOptions,
  type UdpAnnounceRequest,
  type UdpResponse,
} from "../../src/tracker/index.ts";
import { FakeTime } from "../helpers/fake-time.ts";

const INTERVAL_SEC = 60;
const EXPIRE_MS = (2 * INTERVAL_SEC + 60) * 1000;
const hashA = new Uint8Array(20).map((_, i) => (i * 37) & 0xff); // contains NUL and non-UTF-8 bytes
const hashB = new Uint8Array(20).fill(0xbb);
const idOf = (n: number) => utf8(`-RT0001-peer${String(n).padStart(8, "0")}`);

const open: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.stop();
});

async function tracker(options: Partial<TrackerServerOptions> = {}): Promise<TrackerServer> {
  const server = await startTrackerServer({ host: "127.0.0.1", port: 0, http: true, udp: true, intervalSec: INTERVAL_SEC, log: silentLogger, ...options });
  open.push(server);
  return server;
}

async function httpGet(server: TrackerServer, pathAndQuery: string): Promise<Uint8Array> {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}${pathAndQuery}`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

function announceQuery(n: number, extra = "", infoHash = hashA): string {
  return `/announce?info_hash=${percentEncodeBytes(infoHash)}&peer_id=${percentEncodeBytes(idOf(n))}&port=${20_000 + n}&uploaded=0&downloaded=0&left=10${extra}`;
}

async function scrapeCounts(server: TrackerServer, infoHash: Uint8Array): Promise<Map<string, BencodeValue> | undefined> {
  const reply = decodeBencode(await httpGet(server, `/scrape?info_hash=${percentEncodeBytes(infoHash)}`));
  const files = isDict(reply) ? reply.get("files") : undefined;
  if (!isDict(files)) throw new Error("scrape reply without files");
  return files.get(String.fromCharCode(...infoHash)) as Map<string, BencodeValue> | undefined;
}

/** A UDP client on 127.0.0.1 that awaits replies one by one, in arrival order. */
async function udpClient(server: TrackerServer) {
  const inbox: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  const socket = await Bun.udpSocket({
    hostname: "127.0.0.1",
    binaryType: "uint8array",
    socket: {
      data(_s, data) {
        inbox.push(data);
        wake?.();
      },
    },
  });
  open.push({ stop: async () => socket.close() });
  const next = async (): Promise<UdpResponse> => {
    while (inbox.length === 0) {
      const { promise, resolve } = Promise.withResolvers<void>();
      wake = resolve;
      await promise;
    }
    return decodeUdpResponse(inbox.shift()!);
  };
  const send = (bytes: Uint8Array) => socket.send(bytes, server.udpPort!, "127.0.0.1");
  const exchange = async (bytes: Uint8Array) => {
    send(bytes);
    return next();
  };
  const connect = async (): Promise<bigint> => {
    const reply = await exchange(encodeConnectRequest({ transactionId: 7 }));
    if (reply.action !== "connect") throw new Error(`expected a connect reply, got ${reply.action}`);
    expect(reply.transactionId).toBe(7);
    return reply.connectionId;
  };
  return { socket, send, next, exchange, connect, port: socket.port };
}

function udpAnnounce(connectionId: bigint, n: number, fields: Partial<UdpAnnounceRequest> = {}): Uint8Array {
  return encodeAnnounceRequest({
    connectionId,
    transactionId: 1000 + n,
    infoHash: hashA,
    peerId: idOf(n),
    downloaded: 0n,
    left: 10n,
    uploaded: 0n,
    event: UDP_EVENT.started,
    key: 1,
    numWant: -1,
    port: 20_000 + n,
    ...fields,
  });
}

describe("tracker server: HTTP", () => {
  test("HTTP and UDP share one port number; announces find each other (compact, BEP 23)", async () => {
    const server = await tracker();
    expect(server.httpPort).toBe(server.udpPort!);
    const first = parseAnnounceResponse(await httpGet(server, announceQuery(1, "&event=started")));
    expect(first).toEqual({ intervalSec: INTERVAL_SEC, minIntervalSec: 5, complete: 0, incomplete: 1, peers: [] });
    const second = parseAnnounceResponse(await httpGet(server, announceQuery(2, "&event=started&compact=1")));
    expect(second.peers).toEqual([{ host: "127.0.0.1", port: 20_001 }]);
    expect([second.complete, second.incomplete]).toEqual([0, 2]);
    // The `ip` parameter is ignored: peers are listed at their source address.
    const third = parseAnnounceResponse(await httpGet(server, announceQuery(3, "&ip=10.1.2.3")));
    expect(third.peers.map((p) => p.host)).toEqual(["127.0.0.1", "127.0.0.1"]);
  });

  test("compact=0 gives dictionary peers that ripple's parser reads", async () => {
    const server = await tracker();
    await httpGet(server, announceQuery(1));
    const reply = await httpGet(server, announceQuery(2, "&compact=0"));
    const peers = (decodeBencode(reply) as Map<string, BencodeValue>).get("peers");
    expect(Array.isArray(peers)).toBe(true);
    expect((peers as Map<string, BencodeValue>[])[0]?.get("peer id")).toEqual(idOf(1));
    expect(parseAnnounceResponse(reply).peers).toEqual([{ host: "127.0.0.1", port: 20_001 }]);
  });

  test("bad requests get a bencoded failure reason naming the field", async () => {
    const server = await tracker();
    const failure = async (q: string) => {
      try {
        parseAnnounceResponse(await httpGet(server, q));
      } catch (err) {
        return (err as Error).message;
      }
      return "no failure";
    };
    expect(await failure(`/announce?peer_id=x&port=1`)).toBe("tracker failure: missing info_hash");
    expect(await failure(announceQuery(1).replace("port=20001", "port=abc"))).toBe('tracker failure: invalid port: expected a non-negative integer, got "abc"');
    expect(await failure(`/announce?info_hash=%zz`)).toBe("tracker failure: invalid info_hash: bad percent-encoding");
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/nothing`)).status).toBe(404);
    expect(server.stats().refused).toBe(3);
  });

  test("scrape counts seeders, leechers and completed downloads (BEP 48)", async () => {
    const server = await tracker();
    await httpGet(server, announceQuery(1, "&event=started"));
    await httpGet(server, announceQuery(2).replace("left=10", "left=0") + "&event=completed");
    const counts = await scrapeCounts(server, hashA);
    expect(counts && Object.fromEntries(counts)).toEqual({ complete: 1, incomplete: 1, downloaded: 1 });
    expect(await scrapeCounts(server, hashB)).toEqual(new Map([["complete", 0], ["downloaded", 0], ["incomplete", 0]]));
    await httpGet(server, announceQuery(1, "&event=stopped"));
    expect((await scrapeCounts(server, hashA))?.get("incomplete")).toBe(0);
  });

  test("with an allow-list, unknown hashes are refused and left out of scrapes", async () => {
    const server = await tracker({ allow: [toHex(hashA)] });
    expect(parseAnnounceResponse(await httpGet(server, announceQuery(1))).incomplete).toBe(1);
    const refused = await httpGet(server, announceQuery(1, "", hashB));
    expect(() => parseAnnounceResponse(refused)).toThrow(`tracker failure: ${NOT_ALLOWED_REASON}`);
    expect(await scrapeCounts(server, hashB)).toBeUndefined();
  });

  test("a named port that is taken is PORT_IN_USE; port 0 finds a pair", async () => {
    const server = await tracker();
    const error = await startTrackerServer({ host: "127.0.0.1", port: server.httpPort!, http: true, udp: true, intervalSec: 60, log: silentLogger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RippleError);
    expect((error as RippleError).code).toBe("PORT_IN_USE");
    expect((error as Error).message).toStartWith(`cannot listen on 127.0.0.1:${server.httpPort} (http)`);
    // UDP alone on a port whose UDP side is taken.
    const udpOnly = await startTrackerServer({ host: "127.0.0.1", port: server.udpPort!, http: false, udp: true, intervalSec: 60, log: silentLogger }).catch((e: unknown) => e);
    expect((udpOnly as RippleError).code).toBe("PORT_IN_USE");
    const httpOnly = await tracker({ udp: false });
    expect([typeof httpOnly.httpPort, httpOnly.udpPort]).toEqual(["number", undefined]);
  });

  test("peers expire once they miss two intervals plus grace (fake clock)", async () => {
    const clock = new FakeTime();
    const server = await tracker({ clock });
    await httpGet(server, announceQuery(1));
    clock.advance(EXPIRE_MS);
    await httpGet(server, announceQuery(2));
    expect(parseAnnounceResponse(await httpGet(server, announceQuery(3))).peers).toHaveLength(2);
    clock.advance(1);
    const reply = parseAnnounceResponse(await httpGet(server, announceQuery(3)));
    expect(reply.peers).toEqual([{ host: "127.0.0.1", port: 20_002 }]);
    expect(server.stats()).toMatchObject({ torrents: 1, peers: 2 });
  });

  test("a silent peer and its torrent are swept on the injected clock at the first sweep after expiry", async () => {
    const clock = new FakeTime();
    const server = await tracker({ clock });
    await httpGet(server, announceQuery(1));
    expect(clock.nextDelayMs).toBe(INTERVAL_SEC * 1000); // the sweep: once per interval (at most a minute)
    clock.advance(4 * INTERVAL_SEC * 1000 - 1); // sweeps at 1, 2 and 3 min find it alive (it expires after 3 min)
    expect(server.stats()).toMatchObject({ torrents: 1, peers: 1 });
    clock.advance(1);
    expect(server.stats()).toMatchObject({ torrents: 0, peers: 0 });
    await server.stop();
    expect(clock.pending).toBe(0);
  });
});

describe("tracker server: UDP (BEP 15)", () => {
  test("connect, announce and scrape round trips; HTTP and UDP share the swarm", async () => {
    const server = await tracker();
    await httpGet(server, announceQuery(1));
    const client = await udpClient(server);
    const id = await client.connect();
    const reply = await client.exchange(udpAnnounce(id, 2));
    expect(reply).toEqual({ action: "announce", transactionId: 1002, intervalSec: INTERVAL_SEC, leechers: 2, seeders: 0, peers: [{ host: "127.0.0.1", port: 20_001 }] });
    // And the UDP peer is visible over HTTP.
    expect(parseAnnounceResponse(await httpGet(server, announceQuery(3))).peers).toHaveLength(2);
    await client.exchange(udpAnnounce(id, 4, { left: 0n, event: UDP_EVENT.completed }));
    const scrape = await client.exchange(encodeScrapeRequest({ connectionId: id, transactionId: 9, infoHashes: [hashA, hashB] }));
    expect(scrape).toEqual({
      action: "scrape",
      transactionId: 9,
      entries: [
        { seeders: 1, completed: 1, leechers: 3 },
        { seeders: 0, completed: 0, leechers: 0 },
      ],
    });
    const stopped = await client.exchange(udpAnnounce(id, 2, { event: UDP_EVENT.stopped }));
    expect(stopped).toMatchObject({ action: "announce", leechers: 2, seeders: 1, peers: [] });
    expect(server.stats()).toMatchObject({ udpConnects: 1, udpAnnounces: 3, udpScrapes: 1 });
  });

  test("a forged connection id, or one from another source port, is refused", async () => {
    const server = await tracker();
    const a = await udpClient(server);
    const b = await udpClient(server);
    const id = await a.connect();
    expect(await b.exchange(udpAnnounce(id, 1))).toEqual({ action: "error", transactionId: 1001, message: "bad connection id" });
    expect(await a.exchange(udpAnnounce(id ^ 1n, 1))).toEqual({ action: "error", transactionId: 1001, message: "bad connection id" });
    expect(await a.exchange(udpAnnounce(0n, 1))).toMatchObject({ action: "error", message: "bad connection id" });
    expect(server.stats().peers).toBe(0);
    expect(await a.exchange(udpAnnounce(id, 1))).toMatchObject({ action: "announce", leechers: 1 });
  });

  test("connection ids live for 2 to 4 minutes (fake clock)", async () => {
    const clock = new FakeTime();
    clock.advance(CONNECTION_ID_BUCKET_MS - 1); // the end of a bucket: the id's shortest life
    const server = await tracker({ clock });
    const client = await udpClient(server);
    const id = await client.connect();
    clock.advance(CONNECTION_ID_BUCKET_MS);
    expect(await client.exchange(udpAnnounce(id, 1))).toMatchObject({ action: "announce" });
    clock.advance(1);
    expect(await client.exchange(udpAnnounce(id, 1))).toMatchObject({ action: "error", message: "bad connection id" });
  });

  test("a client that vanished before its reply (ICMP port unreachable) does not upset the server", async () => {
    const server = await tracker();
    for (let i = 0; i < 3; i++) {
      const gone = await Bun.udpSocket({ hostname: "127.0.0.1" });
      gone.send(encodeConnectRequest({ transactionId: i }), server.udpPort!, "127.0.0.1");
      gone.close();
    }
    const client = await udpClient(server);
    await client.connect();
    await client.connect();
    expect(server.stats().udpConnects).toBe(5);
  });

  test("garbage datagrams never crash it and it keeps serving", async () => {
    const server = await tracker();
    const client = await udpClient(server);
    const id = await client.connect();
    const ignored = [
      new Uint8Array(0),
      new Uint8Array([1, 2, 3]),
      new Uint8Array(15).fill(0xff),
      new Uint8Array(16), // connect without the protocol id
      crypto.getRandomValues(new Uint8Array(1400)).fill(0, 8, 12), // action 0, random magic
    ];
    for (const g of ignored) client.send(g);
    // Answered with errors: the connection id is checked first, then the codec names the problem.
    const truncated = udpAnnounce(id, 1).subarray(0, 60);
    expect(await client.exchange(truncated)).toEqual({ action: "error", transactionId: 1001, message: "announce: 60 bytes, expected at least 98" });
    const badEvent = udpAnnounce(id, 1);
    new DataView(badEvent.buffer).setUint32(80, 9);
    expect(await client.exchange(badEvent)).toMatchObject({ action: "error", message: "announce: event 9, expected 0-3" });
    const action = udpAnnounce(id, 1).subarray(0, 16);
    new DataView(action.buffer).setUint32(8, 77);
    expect(await client.exchange(action)).toMatchObject({ action: "error", message: "unknown action 77" });
    const ragged = encodeScrapeRequest({ connectionId: id, transactionId: 3, infoHashes: [hashA] });
    expect(await client.exchange(new Uint8Array([...ragged, 1, 2]))).toMatchObject({ action: "error", message: "scrape: info hashes: 22 bytes is not a multiple of 20" });
    expect(await client.exchange(udpAnnounce(id, 1, { port: 0 }))).toMatchObject({ action: "error", message: "invalid port: expected an integer from 1 to 65535, got 0" });
    for (let i = 0; i < 50; i++) client.send(crypto.getRandomValues(new Uint8Array(16 + i * 7)));
    // Still serving: each random datagram gets "bad connection id", then the connect is answered.
    client.send(encodeConnectRequest({ transactionId: 4242 }));
    const errors: UdpResponse[] = [];
    for (let r = await client.next(); r.action !== "connect"; r = await client.next()) errors.push(r);
    expect(errors).toHaveLength(50);
    expect(errors.every((e) => e.action === "error" && e.message === "bad connection id")).toBe(true);
    expect(server.stats().refused).toBeGreaterThanOrEqual(ignored.length + 5);
    expect(parseAnnounceResponse(await httpGet(server, announceQuery(2))).incomplete).toBe(1);
  });
});
