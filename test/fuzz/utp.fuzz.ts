// Fuzz targets for uTP (BEP 29): the packet codec on hostile bytes, and the connection state machine fed
// hostile packets (bad connection ids, huge windows, acks of unsent data, out-of-window sequence numbers,
// selective acks of anything) under a fake clock: never a crash, memory always under its caps. Pure.

import fc from "fast-check";
import { LIMITS, UtpError } from "../../src/util/index.ts";
import { MAX_WINDOW_BYTES, ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, UtpConnection, decodePacket, encodePacket, type UtpPacket } from "../../src/utp/index.ts";
import { expectEqual, expectOnly, hostileBytes, target } from "../helpers/fuzz.ts";

const packet: fc.Arbitrary<UtpPacket> = fc.record({
  type: fc.constantFrom(ST_DATA, ST_FIN, ST_STATE, ST_RESET, ST_SYN),
  connectionId: fc.integer({ min: 0, max: 0xffff }),
  timestampUs: fc.nat().map((n) => n >>> 0),
  timestampDiffUs: fc.nat().map((n) => n >>> 0),
  windowBytes: fc.oneof(fc.constant(0xffffffff), fc.constant(0), fc.nat().map((n) => n >>> 0)),
  seq: fc.integer({ min: 0, max: 0xffff }),
  ack: fc.integer({ min: 0, max: 0xffff }),
  sack: fc.option(fc.integer({ min: 1, max: 8 }).chain((n) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 })), { nil: undefined }),
  payload: fc.uint8Array({ maxLength: 1500 }),
});

/** Packets aimed near a connection's numbers: sequence numbers around ack_nr, acks around seq_nr. */
const nearby = fc.record({
  base: packet,
  seqOffset: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.integer({ min: -0x8000, max: 0x7fff })),
  ackOffset: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -0x8000, max: 0x7fff })),
  rightId: fc.boolean(),
  advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5000 })),
  write: fc.nat({ max: 20_000 }),
});

type Step = typeof nearby extends fc.Arbitrary<infer T> ? T : never;

function checkConnection(steps: Step[]): void {
  let now = 0;
  const env = { now: () => now, send: (bytes: Uint8Array) => void decodePacket(bytes) };
  const events = { connect() {}, data() {}, drain() {}, close() {} };
  const conn = UtpConnection.dial(env, events, 0x4000);
  const outgoing = new Uint8Array(20_000);
  // Open it the normal way first, so the hostile packets reach the connected state.
  conn.receive({ type: ST_STATE, connectionId: conn.recvId, timestampUs: 0, timestampDiffUs: 0, windowBytes: 1 << 20, seq: 100, ack: 1, payload: new Uint8Array(0) });
  for (const s of steps) {
    now += s.advanceMs;
    conn.write(outgoing, 0, s.write);
    const p = { ...s.base, connectionId: s.rightId ? conn.recvId : s.base.connectionId, seq: (conn.ackNr + s.seqOffset) & 0xffff, ack: (conn.seqNext + s.ackOffset) & 0xffff };
    expectOnly([], () => conn.receive(p));
    expectOnly([], () => conn.tick());
    if (conn.reorderBytes > LIMITS.utpReorderBytes) throw new Error(`reorder buffer ${conn.reorderBytes} over its cap`);
    if (conn.unsentBytes > LIMITS.utpSendBufferBytes) throw new Error(`send buffer ${conn.unsentBytes} over its cap`);
    if (conn.inFlightBytes > MAX_WINDOW_BYTES + 1500) throw new Error(`in flight ${conn.inFlightBytes} over the window cap`);
    if (conn.inFlightBytes < 0) throw new Error(`in flight went negative: ${conn.inFlightBytes}`);
  }
}

export const utpTargets = [
  target("utp packet: hostile bytes decode or throw UtpError", hostileBytes(packet.map(encodePacket), 1600), (bytes) => {
    expectOnly([UtpError], () => decodePacket(bytes));
  }),
  target("utp packet: encode -> decode round trip", packet, (p) => {
    const back = decodePacket(encodePacket(p));
    expectEqual({ ...back, payload: [...back.payload], sack: back.sack && [...back.sack] }, { ...p, payload: [...p.payload], sack: p.sack && [...p.sack] }, "utp packet");
  }),
  target("utp connection: hostile packets never crash it nor grow its buffers past their caps", fc.array(nearby, { maxLength: 60 }), checkConnection),
];
