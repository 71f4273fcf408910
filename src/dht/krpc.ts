// KRPC codec (BEP 5): ping, find_node, get_peers and announce_peer queries, their responses and errors,
// compact node (26-byte) and peer (6-byte) lists, the BEP 42 `ip` field. Pure; no I/O.
// Decoding is strict about the fields it uses and names the field in every error; unknown extra keys are
// allowed (other BEPs add them).

import { decodeBencode, describeValue, encodeBencode, isBytes, isDict, type BencodeDict, type BencodeValue } from "../bencode/index.ts";
import { decodeUtf8, DhtError, formatIpv4, isValidPort, parseIpv4, type PeerAddress } from "../util/index.ts";
import { ID_BYTES } from "./node-id.ts";

/** BEP 5 error codes. */
export const KRPC_ERROR = { GENERIC: 201, SERVER: 202, PROTOCOL: 203, METHOD_UNKNOWN: 204 } as const;
/** BEP 5: compact node info is a 20-byte id and a 6-byte compact IPv4 address. */
export const COMPACT_NODE_BYTES = 26;
export const COMPACT_PEER_BYTES = 6;
/** Transaction ids are short strings; anything longer than this is refused rather than echoed. */
export const MAX_TRANSACTION_BYTES = 16;

/** A node as the DHT names it: id and IPv4 address. */
export interface NodeContact {
  readonly id: Uint8Array;
  readonly host: string;
  readonly port: number;
}

export type KrpcQuery =
  | { readonly method: "ping"; readonly id: Uint8Array }
  | { readonly method: "find_node"; readonly id: Uint8Array; readonly target: Uint8Array }
  | { readonly method: "get_peers"; readonly id: Uint8Array; readonly infoHash: Uint8Array }
  | {
      readonly method: "announce_peer";
      readonly id: Uint8Array;
      readonly infoHash: Uint8Array;
      /** Ignored by the receiver when impliedPort is true (it uses the UDP source port). */
      readonly port: number;
      readonly token: Uint8Array;
      readonly impliedPort: boolean;
    };

export interface KrpcResponseBody {
  readonly id: Uint8Array;
  readonly nodes?: readonly NodeContact[];
  readonly values?: readonly PeerAddress[];
  readonly token?: Uint8Array;
}

export type KrpcMessage =
  | { readonly y: "q"; readonly t: Uint8Array; readonly query: KrpcQuery; readonly readOnly: boolean }
  | { readonly y: "r"; readonly t: Uint8Array; readonly body: KrpcResponseBody; readonly ip?: PeerAddress }
  | { readonly y: "e"; readonly t: Uint8Array; readonly code: number; readonly message: string };

/**
 * A malformed KRPC message. `field` names the offending key; `replyCode` and `transactionId` are set when
 * the message was a query we can answer with a BEP 5 error (203 protocol error, 204 method unknown).
 */
export class KrpcDecodeError extends DhtError {
  readonly field: string;
  readonly detail: string;
  readonly replyCode: 203 | 204 | undefined;
  readonly transactionId: Uint8Array | undefined;
  constructor(field: string, detail: string, reply?: { code: 203 | 204; t: Uint8Array }, options?: { cause?: unknown }) {
    super(`krpc ${field}: ${detail}`, options);
    this.field = field;
    this.detail = detail;
    this.replyCode = reply?.code;
    this.transactionId = reply?.t;
  }
}

/** 6 bytes: IPv4 then port, big-endian. Throws DhtError for a host that is not a dotted quad. */
export function encodeCompactPeer(peer: PeerAddress): Uint8Array {
  const ip = parseIpv4(peer.host);
  if (!ip || !isValidPort(peer.port)) throw new DhtError(`compact peer: expected an IPv4 address and port, got ${peer.host}:${peer.port}`);
  const out = new Uint8Array(COMPACT_PEER_BYTES);
  out.set(ip);
  new DataView(out.buffer).setUint16(4, peer.port);
  return out;
}

export function decodeCompactPeer(bytes: Uint8Array, at = 0): PeerAddress {
  return { host: formatIpv4(bytes, at), port: (bytes[at + 4]! << 8) | bytes[at + 5]! };
}

export function encodeCompactNodes(nodes: readonly NodeContact[]): Uint8Array {
  const out = new Uint8Array(nodes.length * COMPACT_NODE_BYTES);
  nodes.forEach((n, i) => {
    if (n.id.length !== ID_BYTES) throw new DhtError(`compact node: expected a 20-byte id, got ${n.id.length} bytes`);
    out.set(n.id, i * COMPACT_NODE_BYTES);
    out.set(encodeCompactPeer(n), i * COMPACT_NODE_BYTES + ID_BYTES);
  });
  return out;
}

/** Decodes a `nodes` string; throws when its length is not a multiple of 26. */
export function decodeCompactNodes(bytes: Uint8Array, field = "r.nodes"): NodeContact[] {
  if (bytes.length % COMPACT_NODE_BYTES !== 0) throw new KrpcDecodeError(field, `expected a multiple of 26 bytes, got ${bytes.length}`);
  const out: NodeContact[] = [];
  for (let at = 0; at < bytes.length; at += COMPACT_NODE_BYTES) {
    const { host, port } = decodeCompactPeer(bytes, at + ID_BYTES);
    out.push({ id: bytes.slice(at, at + ID_BYTES), host, port });
  }
  return out;
}

export function encodeQuery(t: Uint8Array, query: KrpcQuery, extra: { v?: Uint8Array } = {}): Uint8Array {
  const a: Record<string, Uint8Array | number> = { id: query.id };
  if (query.method === "find_node") a.target = query.target;
  if (query.method === "get_peers" || query.method === "announce_peer") a.info_hash = query.infoHash;
  if (query.method === "announce_peer") {
    a.port = query.port;
    a.token = query.token;
    if (query.impliedPort) a.implied_port = 1;
  }
  return encodeBencode({ a, q: query.method, t, v: extra.v, y: "q" });
}

/** A response; `ip` is the requester's address as we saw it (BEP 42), sent when it is IPv4. */
export function encodeResponse(t: Uint8Array, body: KrpcResponseBody, ip?: PeerAddress): Uint8Array {
  const r: Record<string, Uint8Array | Uint8Array[]> = { id: body.id };
  if (body.nodes) r.nodes = encodeCompactNodes(body.nodes);
  if (body.token) r.token = body.token;
  if (body.values) r.values = body.values.map(encodeCompactPeer);
  const ipBytes = ip && parseIpv4(ip.host) ? encodeCompactPeer(ip) : undefined;
  return encodeBencode({ ip: ipBytes, r, t, y: "r" });
}

export function encodeError(t: Uint8Array, code: number, message: string): Uint8Array {
  return encodeBencode({ e: [code, message], t, y: "e" });
}

/** Short byte strings (method names, `y`) as text; longer ones are cut, since no valid value is long. */
function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes.subarray(0, 64));
}

function bytesField(dict: BencodeDict, prefix: string, key: string, length?: number): Uint8Array {
  const v = dict.get(key);
  if (!isBytes(v) || (length !== undefined && v.length !== length)) {
    const want = length === undefined ? "a string" : `a ${length}-byte string`;
    throw new KrpcDecodeError(prefix + key, `expected ${want}, got ${describeValue(v)}`);
  }
  return v;
}

function intField(dict: BencodeDict, prefix: string, key: string): number {
  const v = dict.get(key);
  if (typeof v !== "number") throw new KrpcDecodeError(prefix + key, `expected an integer, got ${describeValue(v)}`);
  return v;
}

const QUERY_METHODS = new Set(["ping", "find_node", "get_peers", "announce_peer"]);

/** A malformed query still names a transaction, so its sender can get a 203 back. */
function decodeQuery(msg: BencodeDict, t: Uint8Array): KrpcMessage {
  try {
    return decodeQueryFields(msg, t);
  } catch (err) {
    if (!(err instanceof KrpcDecodeError) || err.replyCode !== undefined) throw err;
    throw new KrpcDecodeError(err.field, err.detail, { code: KRPC_ERROR.PROTOCOL, t });
  }
}

function decodeQueryFields(msg: BencodeDict, t: Uint8Array): KrpcMessage {
  const method = latin1(bytesField(msg, "", "q"));
  if (!QUERY_METHODS.has(method)) {
    throw new KrpcDecodeError("q", `unknown method "${method.slice(0, 32)}"`, { code: KRPC_ERROR.METHOD_UNKNOWN, t });
  }
  const a = msg.get("a");
  if (!isDict(a)) throw new KrpcDecodeError("a", `expected a dictionary, got ${describeValue(a)}`);
  const id = bytesField(a, "a.", "id", ID_BYTES);
  const readOnly = a.get("ro") === 1 || msg.get("ro") === 1; // BEP 43
  const done = (query: KrpcQuery): KrpcMessage => ({ y: "q", t, query, readOnly });
  switch (method) {
    case "ping":
      return done({ method, id });
    case "find_node":
      return done({ method, id, target: bytesField(a, "a.", "target", ID_BYTES) });
    case "get_peers":
      return done({ method, id, infoHash: bytesField(a, "a.", "info_hash", ID_BYTES) });
    case "announce_peer": {
      const infoHash = bytesField(a, "a.", "info_hash", ID_BYTES);
      const token = bytesField(a, "a.", "token");
      const implied = a.has("implied_port") ? intField(a, "a.", "implied_port") : 0;
      if (implied !== 0 && implied !== 1) throw new KrpcDecodeError("a.implied_port", `expected 0 or 1, got ${implied}`);
      const port = implied === 1 && !a.has("port") ? 0 : intField(a, "a.", "port");
      if (implied === 0 && !isValidPort(port)) throw new KrpcDecodeError("a.port", `expected 1..65535, got ${port}`);
      return done({ method, id, infoHash, port, token, impliedPort: implied === 1 });
    }
  }
  throw new Error(`unreachable: method ${method} passed QUERY_METHODS`);
}

function decodeResponse(msg: BencodeDict, t: Uint8Array): KrpcMessage {
  const r = msg.get("r");
  if (!isDict(r)) throw new KrpcDecodeError("r", `expected a dictionary, got ${describeValue(r)}`);
  const id = bytesField(r, "r.", "id", ID_BYTES);
  const nodes = r.has("nodes") ? decodeCompactNodes(bytesField(r, "r.", "nodes")) : undefined;
  const token = r.has("token") ? bytesField(r, "r.", "token") : undefined;
  let values: PeerAddress[] | undefined;
  if (r.has("values")) {
    const list = r.get("values");
    if (!Array.isArray(list)) throw new KrpcDecodeError("r.values", `expected a list, got ${describeValue(list)}`);
    values = [];
    for (const item of list) {
      // BEP 32 peers (18 bytes) may come mixed in; this DHT is IPv4-only and skips them.
      if (isBytes(item) && item.length === 18) continue;
      if (!isBytes(item) || item.length !== COMPACT_PEER_BYTES) throw new KrpcDecodeError("r.values", `expected 6-byte strings, got ${describeValue(item)}`);
      values.push(decodeCompactPeer(item));
    }
  }
  const ipValue = msg.get("ip");
  const ip = isBytes(ipValue) && ipValue.length === COMPACT_PEER_BYTES ? decodeCompactPeer(ipValue) : undefined;
  return { y: "r", t, body: { id, nodes, values, token }, ip };
}

function decodeErrorMessage(msg: BencodeDict, t: Uint8Array): KrpcMessage {
  const e = msg.get("e");
  const code = Array.isArray(e) ? e[0] : undefined;
  const text = Array.isArray(e) ? e[1] : undefined;
  if (typeof code !== "number" || !isBytes(text)) throw new KrpcDecodeError("e", `expected [code, message], got ${describeValue(e)}`);
  // decodeUtf8 keeps a leading U+FEFF (a default TextDecoder strips it): the text is exactly its bytes.
  return { y: "e", t, code, message: decodeUtf8(text.subarray(0, 200)) };
}

/** Decodes one KRPC datagram; throws KrpcDecodeError naming the field. */
export function decodeKrpc(bytes: Uint8Array): KrpcMessage {
  let msg: BencodeValue;
  try {
    msg = decodeBencode(bytes);
  } catch (err) {
    throw new KrpcDecodeError("message", "not valid bencode", undefined, { cause: err });
  }
  if (!isDict(msg)) throw new KrpcDecodeError("message", `expected a dictionary, got ${describeValue(msg)}`);
  const t = bytesField(msg, "", "t");
  if (t.length > MAX_TRANSACTION_BYTES) throw new KrpcDecodeError("t", `expected at most ${MAX_TRANSACTION_BYTES} bytes, got ${t.length}`);
  const y = msg.get("y");
  const kind = isBytes(y) ? latin1(y) : undefined;
  if (kind === "q") return decodeQuery(msg, t);
  if (kind === "r") return decodeResponse(msg, t);
  if (kind === "e") return decodeErrorMessage(msg, t);
  throw new KrpcDecodeError("y", `expected "q", "r" or "e", got ${describeValue(y)}`);
}
