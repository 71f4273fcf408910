// Fuzz targets for the peer wire codecs: handshake, messages through the Framer in random chunk splits,
// Bitfield.fromBytes, the BEP 10 extended handshake, BEP 9 ut_metadata, BEP 11 ut_pex and BEP 52 hash messages.
// Pure; run by test/fuzz/decoders.test.ts and scripts/fuzz.ts.

import fc from "fast-check";
import { decodeBencode } from "../../src/bencode/index.ts";
import { WireError, bytesEqual, concatBytes, formatIpv4, formatIpv6 } from "../../src/util/index.ts";
import {
  Bitfield,
  Framer,
  MAX_METADATA_SIZE,
  METADATA_PIECE_SIZE,
  type MetadataMessage,
  type PeerMessage,
  decodeExtendedHandshake,
  decodeHandshake,
  decodeHashRequest,
  decodeHashes,
  encodeHashRequest,
  encodeHashes,
  decodeMessage,
  decodeMetadataMessage,
  decodePex,
  encodeExtendedHandshake,
  encodeHandshake,
  encodeMessage,
  encodeMetadataMessage,
  encodePex,
  maxMessageLengthFor,
  MseInitiator as WireMseInitiator,
  MseResponder,
  mseKeyPair,
  mseTorrentHash,
} from "../../src/wire/index.ts";
import { MseInitiator } from "../helpers/mse-initiator.ts";
import { chunkCuts, expectEqual, expectOnly, hostileBencode, hostileBytes, splitAt, target } from "../helpers/fuzz.ts";

const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u32 = fc.oneof(fc.constantFrom(0, 1, 16384, 2 ** 31, 2 ** 32 - 1), fc.nat()).map((n) => n >>> 0);

const handshake = fc.record({ infoHash: bytesOf(20), peerId: bytesOf(20), reserved: bytesOf(8) });

/** Every message type with fields in range (what encodeMessage accepts). */
const peerMessage: fc.Arbitrary<PeerMessage> = fc.oneof(
  fc.constantFrom(...(["keep_alive", "choke", "unchoke", "interested", "not_interested", "have_all", "have_none"] as const)).map((type) => ({ type }) as PeerMessage),
  fc.record({ type: fc.constantFrom("have" as const, "suggest" as const, "allowed_fast" as const), index: u32 }),
  fc.record({ type: fc.constantFrom("request" as const, "cancel" as const, "reject" as const), index: u32, begin: u32, length: u32 }),
  fc.record({ type: fc.constant("bitfield" as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ type: fc.constant("piece" as const), index: u32, begin: u32, block: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ type: fc.constant("port" as const), port: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ type: fc.constant("extended" as const), id: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ type: fc.constant("unknown" as const), id: fc.constantFrom(10, 11, 12, 18, 19, 21, 99, 255), payload: fc.uint8Array({ maxLength: 40 }) }),
);

type Frame = { handshake: Uint8Array } | { message: PeerMessage } | { keepAlive: true };

/** Feeds `chunks` to a fresh framer and returns every frame, decoded and copied out of the views. */
function frames(chunks: readonly Uint8Array[], expectHandshake: boolean, maxMessageLength: number): Frame[] {
  const out: Frame[] = [];
  const framer = new Framer({ maxMessageLength, expectHandshake });
  const handlers = {
    handshake: (b: Uint8Array) => void out.push({ handshake: b.slice() }),
    message: (id: number, payload: Uint8Array) => void out.push({ message: decodeMessage(id, payload.slice()) }),
    keepAlive: () => void out.push({ keepAlive: true }),
  };
  for (const chunk of chunks) {
    framer.push(chunk, handlers);
    if (framer.bufferedBytes > Math.max(68, maxMessageLength)) throw new Error(`framer holds ${framer.bufferedBytes} bytes`);
  }
  return out;
}

const stream = fc.record({ hs: fc.option(handshake, { nil: undefined }), messages: fc.array(peerMessage, { maxLength: 8 }) });
const streamBytes = stream.map(({ hs, messages }) => concatBytes([...(hs ? [encodeHandshake(hs)] : []), ...messages.map(encodeMessage)]));

// ---- extension payloads ----------------------------------------------------------------------------

const extHandshake = fc.record(
  {
    m: fc.dictionary(fc.constantFrom("ut_metadata", "ut_pex", "lt_donthave", "x"), fc.integer({ min: 0, max: 255 }), { noNullPrototype: true }),
    v: fc.string({ unit: "binary", maxLength: 120 }),
    p: fc.integer({ min: 1, max: 65535 }),
    reqq: fc.integer({ min: 1, max: 0x7fffffff }),
    yourip: fc.oneof(bytesOf(4), bytesOf(16)),
    metadataSize: fc.integer({ min: 1, max: MAX_METADATA_SIZE }),
  },
  { requiredKeys: ["m"] },
);
/** The extended handshake's payload: the frame minus length prefix, id 20 and ext id 0. */
const extPayload = (h: Parameters<typeof encodeExtendedHandshake>[0]) => encodeExtendedHandshake(h).subarray(6);

const metadataMessage: fc.Arbitrary<Exclude<MetadataMessage, { type: "unknown" }>> = fc.oneof(
  fc.record({ type: fc.constantFrom("request" as const, "reject" as const), piece: fc.nat() }),
  fc.integer({ min: 1, max: 3 * METADATA_PIECE_SIZE }).chain((totalSize) =>
    fc.nat({ max: Math.ceil(totalSize / METADATA_PIECE_SIZE) - 1 }).map((piece) => ({
      type: "data" as const,
      piece,
      totalSize,
      block: new Uint8Array(Math.min(METADATA_PIECE_SIZE, totalSize - piece * METADATA_PIECE_SIZE)).fill(piece),
    })),
  ),
);

/** Distinct dialable literals: no port 0, no unspecified address, no IPv4-mapped IPv6 (sent as IPv4). */
const pexPeer = fc.record({ v6: fc.boolean(), bytes: bytesOf(16), port: fc.integer({ min: 1, max: 65535 }), flags: fc.integer({ min: 0, max: 255 }) }).map((p) => {
  const mapped = p.bytes.subarray(0, 10).every((b) => b === 0) && p.bytes[10] === 0xff && p.bytes[11] === 0xff;
  const bytes = p.bytes.slice();
  if (bytes.every((b) => b === 0) || mapped || bytes.subarray(0, 4).every((b) => b === 0)) bytes[0] = 0x20;
  return { host: p.v6 ? formatIpv6(bytes) : formatIpv4(bytes), port: p.port, flags: p.flags };
});
/**
 * A whole initiator transcript of an MSE handshake against a responder whose randomness is fixed (so its
 * public key is known in advance), for an info hash it serves, with the given provide bits and IA.
 */
const MSE_INFO_HASH = new Uint8Array(20).fill(3);
const mseFixedRandom = (n: number) => new Uint8Array(n).fill(0x5a);
const mseTranscript = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 60 })).map(([provide, ia, pad]) => {
  const a = new MseInitiator(MSE_INFO_HASH);
  const receiverKey = mseKeyPair(mseFixedRandom(20)).publicKey;
  return concatBytes([a.hello(pad), a.request(receiverKey, ia, { provide })]);
});

/** A receiver's whole answer to ripple's initiator (both sides' randomness fixed, so it replays exactly). */
const mseAnswer = (() => {
  const init = new WireMseInitiator({ infoHash: MSE_INFO_HASH, provide: 3, ia: new Uint8Array(68).fill(1), random: mseFixedRandom });
  const resp = new MseResponder({ findInfoHash: () => MSE_INFO_HASH, random: mseFixedRandom });
  const answer = resp.push(init.hello()).send;
  const request = init.push(concatBytes(answer)).send;
  return concatBytes([...answer, ...resp.push(concatBytes(request)).send, new Uint8Array(20).fill(9)]);
})();

const pexInput = fc.record({
  added: fc.uniqueArray(pexPeer, { maxLength: 50, selector: (p) => `${p.host}|${p.port}` }),
  dropped: fc.uniqueArray(pexPeer, { maxLength: 50, selector: (p) => `${p.host}|${p.port}` }),
});

const hashRequest = fc.tuple(
  fc.record({ piecesRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }), baseLayer: u32, index: u32, length: u32, proofLayers: u32 }),
  fc.nat({ max: 20 }),
);

export const wireTargets = [
  target("decodeHashRequest and decodeHashes throw only WireError", fc.uint8Array({ maxLength: 120 }), (payload) => {
    expectOnly([WireError], () => decodeHashRequest(payload));
    expectOnly([WireError], () => decodeHashes(payload));
  }),

  target("hash request and hashes encode -> decode round-trip", hashRequest, ([req, count]) => {
    const hashes = new Uint8Array(count * 32).fill(7);
    expectEqual(decodeHashRequest(encodeHashRequest(req).subarray(5)), req, "request");
    const back = decodeHashes(encodeHashes(req, hashes).subarray(5));
    expectEqual(back.request, req, "hashes request");
    expectEqual(back.hashes.length, hashes.length, "hash bytes");
  }),

  target("decodeHandshake throws only WireError", hostileBytes(handshake.map(encodeHandshake), 100), (bytes) => {
    expectOnly([WireError], () => decodeHandshake(bytes));
  }),

  target("handshake encode -> decode round-trips", handshake, (hs) => {
    expectEqual(decodeHandshake(encodeHandshake(hs)), hs, "decoded");
  }),

  target("decodeMessage throws only WireError", fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 })), ([id, payload]) => {
    expectOnly([WireError], () => decodeMessage(id, payload));
  }),

  target("Framer + decodeMessage: a valid stream in any chunk split gives the same frames", fc.tuple(stream, chunkCuts), ([s, cuts]) => {
    const bytes = concatBytes([...(s.hs ? [encodeHandshake(s.hs)] : []), ...s.messages.map(encodeMessage)]);
    const got = frames(splitAt(bytes, cuts), s.hs !== undefined, maxMessageLengthFor(0));
    const expected: Frame[] = [...(s.hs ? [{ handshake: encodeHandshake(s.hs) }] : []), ...s.messages.map((m): Frame => (m.type === "keep_alive" ? { keepAlive: true } : { message: m }))];
    expectEqual(got, expected, "frames");
  }),

  target(
    "Framer + decodeMessage on hostile streams throw only WireError",
    fc.tuple(hostileBytes(streamBytes, 600), chunkCuts, fc.boolean(), fc.integer({ min: 0, max: 20_000 })),
    ([bytes, cuts, expectHandshake, max]) => {
      expectOnly([WireError], () => frames(splitAt(bytes, cuts), expectHandshake, max));
    },
  ),

  target("Bitfield.fromBytes throws only WireError; what it accepts round-trips", fc.tuple(fc.uint8Array({ maxLength: 12 }), fc.nat({ max: 100 })), ([bytes, length]) => {
    const bf = expectOnly([WireError], () => Bitfield.fromBytes(bytes, length));
    if (bf === undefined) return;
    expectEqual(bf.toBytes(), bytes, "toBytes");
    expectEqual(bf.count, [...bf.indices()].length, "count");
  }),

  target("decodeExtendedHandshake throws only WireError", hostileBencode(extHandshake.map((h) => decodeBencode(extPayload(h)))), (payload) => {
    expectOnly([WireError], () => decodeExtendedHandshake(payload));
  }),

  target("extended handshake encode -> decode round-trips", extHandshake, (h) => {
    const got = decodeExtendedHandshake(extPayload(h));
    const m = Object.entries(h.m);
    expectEqual(got.m, new Map(m.filter(([, id]) => id !== 0)), "m");
    expectEqual(got.disabled, new Set(m.filter(([, id]) => id === 0).map(([n]) => n)), "disabled");
    expectEqual([got.v, got.p, got.reqq, got.yourip, got.metadataSize], [h.v?.slice(0, 100), h.p, h.reqq, h.yourip, h.metadataSize], "fields");
  }),

  target("decodeMetadataMessage throws only WireError", hostileBytes(metadataMessage.map(encodeMetadataMessage), 300), (payload) => {
    expectOnly([WireError], () => decodeMetadataMessage(payload));
  }),

  target("ut_metadata encode -> decode round-trips", metadataMessage, (msg) => {
    expectEqual(decodeMetadataMessage(encodeMetadataMessage(msg)), msg, "decoded");
  }),

  target("decodePex throws only WireError", hostileBencode(pexInput.map((p) => decodeBencode(encodePex(p)))), (payload) => {
    expectOnly([WireError], () => decodePex(payload));
  }),

  target("ut_pex encode -> decode round-trips (IPv4 first, then IPv6)", pexInput, (p) => {
    const order = <T extends { host: string }>(list: T[]) => [...list.filter((x) => !x.host.includes(":")), ...list.filter((x) => x.host.includes(":"))];
    const got = decodePex(encodePex(p));
    expectEqual(got.added, order(p.added), "added");
    expectEqual(got.dropped, order(p.dropped.map(({ host, port }) => ({ host, port }))), "dropped");
  }),

  target("MseInitiator: any answer in any chunk split throws only WireError", fc.tuple(hostileBytes(fc.constant(mseAnswer), 900), chunkCuts), ([bytes, cuts]) => {
    const init = new WireMseInitiator({ infoHash: MSE_INFO_HASH, provide: 3, ia: new Uint8Array(68).fill(1), random: mseFixedRandom });
    init.hello();
    expectOnly([WireError], () => {
      for (const chunk of splitAt(bytes, cuts)) if (init.push(chunk).done) break;
    });
  }),

  target("MseResponder: any bytes in any chunk split throw only WireError", fc.tuple(hostileBytes(mseTranscript, 900), chunkCuts), ([bytes, cuts]) => {
    const r = new MseResponder({ findInfoHash: (req2) => (bytesEqual(req2, mseTorrentHash(MSE_INFO_HASH)) ? MSE_INFO_HASH : undefined), random: mseFixedRandom });
    expectOnly([WireError], () => {
      for (const chunk of splitAt(bytes, cuts)) if (r.push(chunk).done) break;
    });
  }),
];
