// The uTP connection's state table (BEP 29): each state met with each packet type, as a table of
// (state, packet) -> (state after, events). Pure, over the in-memory link.

import { describe, expect, test } from "bun:test";
import { ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, seqAdd, type PacketType, type UtpPacket, type UtpState } from "../../src/utp/index.ts";
import { UtpLink } from "../helpers/utp-link.ts";

type Start = "syn-sent" | "connected" | "fin-sent";

/** A's connection in `start` (its peer B at seq 500), with A's outbox and events cleared. */
function inState(start: Start): UtpLink {
  const link = new UtpLink(0x3000, 500);
  if (start !== "syn-sent") {
    link.deliver("a");
    link.deliver("b");
  }
  if (start === "fin-sent") link.a.conn!.end();
  link.a.events.length = 0;
  link.a.outbox.length = 0;
  return link;
}

/** A packet from B as A would get it: `ack` "ours" acknowledges everything A sent; seq is the next in order. */
function fromB(link: UtpLink, type: PacketType, ack: "ours" | "wrong", payload = new Uint8Array(0)): UtpPacket {
  const a = link.a.conn!;
  const ackNr = ack === "ours" ? seqAdd(a.seqNext, -1) : seqAdd(a.seqNext, 100);
  const seq = a.state === "syn-sent" ? 500 : seqAdd(a.ackNr, 1);
  return { type, connectionId: a.recvId, timestampUs: 0, timestampDiffUs: 0, windowBytes: 1 << 20, seq, ack: ackNr, payload };
}

const TABLE: [Start, PacketType, "ours" | "wrong", UtpState, string[]][] = [
  ["syn-sent", ST_STATE, "ours", "connected", ["connect"]],
  ["syn-sent", ST_DATA, "ours", "connected", ["connect", "data 3"]],
  ["syn-sent", ST_STATE, "wrong", "syn-sent", []],
  ["syn-sent", ST_FIN, "ours", "syn-sent", []],
  ["syn-sent", ST_SYN, "ours", "syn-sent", []],
  ["syn-sent", ST_RESET, "wrong", "closed", ["close connection reset by peer"]],
  ["connected", ST_DATA, "ours", "connected", ["data 3"]],
  ["connected", ST_STATE, "ours", "connected", []],
  ["connected", ST_SYN, "ours", "connected", []],
  ["connected", ST_FIN, "ours", "closed", ["close closed by peer"]],
  ["connected", ST_RESET, "wrong", "closed", ["close connection reset by peer"]],
  ["fin-sent", ST_DATA, "wrong", "fin-sent", ["data 3"]],
  ["fin-sent", ST_STATE, "ours", "closed", ["close closed"]],
  ["fin-sent", ST_FIN, "wrong", "closed", ["close closed by peer"]],
  ["fin-sent", ST_RESET, "wrong", "closed", ["close connection reset by peer"]],
];

const NAMES = ["ST_DATA", "ST_FIN", "ST_STATE", "ST_RESET", "ST_SYN"];

describe("uTP state table", () => {
  for (const [start, type, ack, after, events] of TABLE) {
    test(`${start} + ${NAMES[type]} (${ack === "ours" ? "acking what we sent" : "acking nothing new"}) -> ${after}`, () => {
      const link = inState(start);
      expect(link.a.conn!.state).toBe(start);
      const payload = type === ST_DATA ? new Uint8Array([1, 2, 3]) : new Uint8Array(0);
      link.a.conn!.receive(fromB(link, type, ack, payload));
      expect(link.a.conn!.state).toBe(after);
      expect(link.a.events).toEqual(events.filter((e) => !e.startsWith("data")));
      expect(link.a.received.map((r) => `data ${r.length}`)).toEqual(events.filter((e) => e.startsWith("data")));
    });
  }

  test("a duplicate SYN to an accepted connection is answered again (its ST_STATE was lost)", () => {
    const link = new UtpLink();
    const [syn] = link.deliver("a");
    link.b.outbox.length = 0;
    link.b.conn!.receive(syn!);
    link.b.conn!.flushAck();
    expect(link.b.outbox.map((p) => [p.type, p.ack])).toEqual([[ST_STATE, 1]]);
  });
});
