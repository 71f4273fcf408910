// Query answering (BEP 5 server side), pure: replies for each method, tokens, implied_port, read-only
// queriers (BEP 43), the reply limits, and the 203/204 answer to malformed queries.

import { describe, expect, test } from "bun:test";
import {
  KrpcDecodeError,
  PeerStore,
  ReplyLimiter,
  RoutingTable,
  TokenSecrets,
  answerMalformed,
  answerQuery,
  decodeKrpc,
  type KrpcMessage,
  type ServerState,
} from "../../src/dht/index.ts";
import { seededBytes } from "../helpers/random.ts";

const FROM = { host: "127.0.0.1", port: 4000 };
const T = new Uint8Array([1, 2]);

function state(limits = { perIpPerSecond: 100, perIpBurst: 100, totalPerSecond: 1000, maxTrackedIps: 10 }): ServerState {
  const random = seededBytes(1);
  return { table: new RoutingTable(random(20), 0), tokens: new TokenSecrets(random, 0), peers: new PeerStore(), limiter: new ReplyLimiter(limits, 0) };
}

function reply(action: { reply?: Uint8Array }): KrpcMessage {
  expect(action.reply).toBeDefined();
  return decodeKrpc(action.reply!);
}

describe("answering queries", () => {
  test("ping: our id, the querier's address (BEP 42 ip), the querier joins the table", () => {
    const s = state();
    const id = new Uint8Array(20).fill(1);
    const r = reply(answerQuery(s, T, { method: "ping", id }, false, FROM, 0));
    expect(r).toMatchObject({ y: "r", t: T, body: { id: s.table.id }, ip: FROM });
    expect(s.table.get(id)).toBeDefined();
    answerQuery(s, T, { method: "ping", id: new Uint8Array(20).fill(2) }, true, { host: "127.0.0.1", port: 4001 }, 0);
    expect(s.table.size).toBe(1); // read-only nodes stay out
  });

  test("find_node: the closest nodes we know", () => {
    const s = state();
    for (let i = 1; i <= 12; i++) s.table.observe({ id: new Uint8Array(20).fill(i * 16), host: "127.0.0.1", port: 5000 + i }, "response", 0);
    const r = reply(answerQuery(s, T, { method: "find_node", id: new Uint8Array(20).fill(3), target: new Uint8Array(20) }, true, FROM, 0));
    expect(r.y === "r" && r.body.nodes?.length).toBe(8);
  });

  test("get_peers gives a token; announce_peer with it stores the peer; get_peers then returns it", () => {
    const s = state();
    const infoHash = new Uint8Array(20).fill(9);
    const id = new Uint8Array(20).fill(1);
    const first = reply(answerQuery(s, T, { method: "get_peers", id, infoHash }, false, FROM, 0));
    const token = first.y === "r" ? first.body.token! : new Uint8Array();
    expect(first.y === "r" && first.body.values).toBeUndefined();
    const ok = reply(answerQuery(s, T, { method: "announce_peer", id, infoHash, port: 6881, token, impliedPort: false }, false, FROM, 1));
    expect(ok.y).toBe("r");
    const implied = reply(answerQuery(s, T, { method: "announce_peer", id, infoHash, port: 0, token, impliedPort: true }, false, FROM, 2));
    expect(implied.y).toBe("r");
    const second = reply(answerQuery(s, T, { method: "get_peers", id, infoHash }, false, FROM, 3));
    expect(second.y === "r" && second.body.values).toEqual([FROM, { host: "127.0.0.1", port: 6881 }]);
  });

  test("announce_peer with a token from another IP or a forged one is refused with 203", () => {
    const s = state();
    const infoHash = new Uint8Array(20).fill(9);
    const id = new Uint8Array(20).fill(1);
    const other = reply(answerQuery(s, T, { method: "get_peers", id, infoHash }, false, { host: "127.0.0.2", port: 1 }, 0));
    const token = other.y === "r" ? other.body.token! : new Uint8Array();
    const refused = reply(answerQuery(s, T, { method: "announce_peer", id, infoHash, port: 1, token, impliedPort: false }, false, FROM, 0));
    expect(refused).toEqual({ y: "e", t: T, code: 203, message: "bad token" });
    expect(s.peers.peerCount).toBe(0);
  });

  test("beyond the reply limit queries go unanswered and do not touch the table", () => {
    const s = state({ perIpPerSecond: 1, perIpBurst: 2, totalPerSecond: 1000, maxTrackedIps: 10 });
    const q = { method: "ping", id: new Uint8Array(20).fill(1) } as const;
    expect(answerQuery(s, T, q, false, FROM, 0).reply).toBeDefined();
    expect(answerQuery(s, T, q, false, FROM, 0).reply).toBeDefined();
    expect(answerQuery(s, T, q, false, FROM, 0)).toEqual({ rateLimited: true });
    expect(answerQuery(s, T, q, false, { host: "127.0.0.2", port: 1 }, 0).reply).toBeDefined();
    expect(answerQuery(s, T, q, false, FROM, 1000).reply).toBeDefined(); // refilled
  });

  test("malformed queries get 203/204 back; other malformed input nothing", () => {
    const s = state();
    const unknown = new KrpcDecodeError("q", 'unknown method "vote"', { code: 204, t: T });
    expect(decodeKrpc(answerMalformed(s, unknown, FROM, 0)!)).toEqual({ y: "e", t: T, code: 204, message: 'unknown method "vote"' });
    expect(answerMalformed(s, new KrpcDecodeError("message", "not valid bencode"), FROM, 0)).toBeUndefined();
  });
});

describe("reply limiter", () => {
  test("caps the total over all IPs and forgets the least recently seen IPs", () => {
    const l = new ReplyLimiter({ perIpPerSecond: 10, perIpBurst: 10, totalPerSecond: 5, maxTrackedIps: 3 }, 0);
    let allowed = 0;
    for (let i = 0; i < 20; i++) if (l.allow(`10.0.0.${i}`, 0)) allowed++;
    expect(allowed).toBe(5);
    expect(l.trackedIps).toBe(3);
  });
});
