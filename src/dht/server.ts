// The DHT server side (BEP 5): the reply to each query (ping, find_node, get_peers with token, values and
// nodes, announce_peer with its token check) and the 203/204 error for a malformed query, under the reply
// limits. Pure: the node's state objects and `now` come in, the datagram to send comes out.

import type { PeerAddress } from "../util/index.ts";
import { KRPC_ERROR, encodeError, encodeResponse, type KrpcDecodeError, type KrpcQuery, type KrpcResponseBody } from "./krpc.ts";
import { MAX_PEERS_PER_REPLY, type PeerStore } from "./peer-store.ts";
import type { ReplyLimiter } from "./rate-limit.ts";
import { BUCKET_SIZE, type RoutingNode, type RoutingTable } from "./routing-table.ts";
import type { TokenSecrets } from "./tokens.ts";

export interface ServerState {
  readonly table: RoutingTable;
  readonly tokens: TokenSecrets;
  readonly peers: PeerStore;
  readonly limiter: ReplyLimiter;
}

export interface ServerAction {
  /** The datagram to send back, if any. */
  readonly reply?: Uint8Array;
  /** A questionable node to ping: the querier wants its bucket slot (BEP 5). */
  readonly ping?: RoutingNode;
  /** The query was dropped by the reply limits. */
  readonly rateLimited?: boolean;
}

/** Answers one query from `from`; records the querier in the table unless it is read-only (BEP 43). */
export function answerQuery(state: ServerState, t: Uint8Array, query: KrpcQuery, readOnly: boolean, from: PeerAddress, now: number): ServerAction {
  if (!state.limiter.allow(from.host, now)) return { rateLimited: true };
  const { table } = state;
  let ping: RoutingNode | undefined;
  if (!readOnly) {
    const seen = table.observe({ id: query.id, host: from.host, port: from.port }, "query", now);
    if (seen.outcome === "pending") ping = seen.ping;
  }
  const respond = (body: Omit<KrpcResponseBody, "id">): ServerAction => ({ reply: encodeResponse(t, { id: table.id, ...body }, from), ping });
  switch (query.method) {
    case "ping":
      return respond({});
    case "find_node":
      return respond({ nodes: table.closest(query.target, BUCKET_SIZE, now) });
    case "get_peers": {
      // BEP 5 sends values or nodes; sending nodes as well (as libtorrent does) keeps the asker's lookup going.
      const values = state.peers.get(query.infoHash, now, MAX_PEERS_PER_REPLY);
      const nodes = table.closest(query.infoHash, BUCKET_SIZE, now);
      return respond({ token: state.tokens.token(from.host, now), nodes, values: values.length > 0 ? values : undefined });
    }
    case "announce_peer": {
      if (!state.tokens.valid(from.host, query.token, now)) return { reply: encodeError(t, KRPC_ERROR.PROTOCOL, "bad token"), ping };
      // BEP 5: the peer is the sender's IP; its port is the UDP source port when implied_port is set.
      state.peers.add(query.infoHash, { host: from.host, port: query.impliedPort ? from.port : query.port }, now);
      return respond({});
    }
  }
}

/** The BEP 5 error reply to a query that did not decode, when it named a transaction and limits allow. */
export function answerMalformed(state: ServerState, err: KrpcDecodeError, from: PeerAddress, now: number): Uint8Array | undefined {
  if (!err.replyCode || !err.transactionId || !state.limiter.allow(from.host, now)) return undefined;
  return encodeError(err.transactionId, err.replyCode, err.detail);
}
