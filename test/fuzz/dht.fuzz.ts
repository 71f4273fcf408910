// Fuzz targets for the DHT's KRPC codec (BEP 5): decodeKrpc on hostile datagrams, and queries, responses
// and errors round-tripping. Pure; run by test/fuzz/decoders.test.ts and scripts/fuzz.ts.

import fc from "fast-check";
import { type BencodeValue, decodeBencode } from "../../src/bencode/index.ts";
import { type KrpcMessage, type KrpcQuery, type KrpcResponseBody, MAX_TRANSACTION_BYTES, decodeKrpc, encodeError, encodeQuery, encodeResponse } from "../../src/dht/index.ts";
import { DhtError, type PeerAddress } from "../../src/util/index.ts";
import { expectEqual, expectOnly, hostileBencode, target } from "../helpers/fuzz.ts";

const id = fc.uint8Array({ minLength: 20, maxLength: 20 });
const t = fc.uint8Array({ maxLength: MAX_TRANSACTION_BYTES });
const port = fc.integer({ min: 1, max: 65535 });
const peer: fc.Arbitrary<PeerAddress> = fc.record({ host: fc.ipV4(), port });

const query: fc.Arbitrary<KrpcQuery> = fc.oneof(
  fc.record({ method: fc.constant("ping" as const), id }),
  fc.record({ method: fc.constant("find_node" as const), id, target: id }),
  fc.record({ method: fc.constant("get_peers" as const), id, infoHash: id }),
  fc.record({ method: fc.constant("announce_peer" as const), id, infoHash: id, port, token: fc.uint8Array({ maxLength: 20 }), impliedPort: fc.constant(false) }),
  // With implied_port the port field is carried but not used, so any 16-bit value goes.
  fc.record({ method: fc.constant("announce_peer" as const), id, infoHash: id, port: fc.integer({ min: 0, max: 65535 }), token: fc.uint8Array({ maxLength: 20 }), impliedPort: fc.constant(true) }),
);
const body: fc.Arbitrary<KrpcResponseBody> = fc.record(
  {
    id,
    nodes: fc.array(fc.record({ id, host: fc.ipV4(), port }), { maxLength: 8 }),
    values: fc.array(peer, { maxLength: 8 }),
    token: fc.uint8Array({ maxLength: 20 }),
  },
  { requiredKeys: ["id"] },
);
/** Error text as sent: at most 200 bytes of UTF-8 (the decoder keeps that much), a BOM at the start sometimes. */
const errorText = fc.oneof(fc.string({ unit: "binary", maxLength: 50 }), fc.string({ maxLength: 20 }).map((s) => `\uFEFF${s}`));

type Case = { bytes: Uint8Array; expected: KrpcMessage };
const message: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ t, query, v: fc.option(fc.uint8Array({ maxLength: 4 }), { nil: undefined }) }).map(({ t, query, v }) => ({
    bytes: encodeQuery(t, query, v === undefined ? {} : { v }),
    expected: { y: "q" as const, t, query, readOnly: false },
  })),
  fc.record({ t, body, ip: fc.option(peer, { nil: undefined }) }).map(({ t, body, ip }) => ({
    bytes: encodeResponse(t, body, ip),
    expected: { y: "r" as const, t, body: { id: body.id, nodes: body.nodes, values: body.values, token: body.token }, ip },
  })),
  fc.record({ t, code: fc.integer({ min: 0, max: 999 }), message: errorText }).map(({ t, code, message }) => ({
    bytes: encodeError(t, code, message),
    expected: { y: "e" as const, t, code, message },
  })),
);

export const dhtTargets = [
  target("decodeKrpc throws only DhtError; an error's text is the UTF-8 of its first 200 bytes", hostileBencode(message.map((m) => decodeBencode(m.bytes))), (bytes) => {
    const msg = expectOnly([DhtError], () => decodeKrpc(bytes));
    if (msg?.y !== "e") return;
    const raw = ((decodeBencode(bytes) as Map<string, BencodeValue>).get("e") as BencodeValue[])[1] as Uint8Array;
    expectEqual(msg.message, new TextDecoder("utf-8", { ignoreBOM: true }).decode(raw.subarray(0, 200)), "message");
  }),

  target("KRPC queries, responses and errors encode -> decode round-trip", message, ({ bytes, expected }) => {
    expectEqual(expectOnly([], () => decodeKrpc(bytes)), expected, "decoded");
  }),
];
