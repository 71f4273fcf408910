import { describe, expect, test } from "bun:test";
import {
  CONGESTIVE_LOSS_RATE,
  DEAD_MS,
  MAX_REORDER_PACKETS,
  MAX_TRANSMISSIONS,
  PAYLOAD_BYTES,
  ST_DATA,
  ST_FIN,
  ST_RESET,
  ST_STATE,
  ST_SYN,
  SYN_ATTEMPTS,
  SYN_TIMEOUT_MS,
  encodePacket,
  decodePacket,
  seqAdd,
} from "../../src/utp/index.ts";
import { LIMITS } from "../../src/util/index.ts";
import { patternBytes } from "../helpers/torrent-fixture.ts";
import { UtpLink } from "../helpers/utp-link.ts";

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

function connected(recvId = 0x1000, bSeq = 500): UtpLink {
  const link = new UtpLink(recvId, bSeq);
  link.deliver("a");
  link.deliver("b");
  return link;
}

/** Writes everything through A's backpressure, delivering both ways as the window allows. */
function sendAll(link: UtpLink, data: Uint8Array, from: "a" | "b" = "a"): void {
  let at = 0;
  for (let guard = 0; guard < 100_000 && at < data.length; guard++) {
    at += link[from].conn!.write(data, at, data.length - at);
    link.settle(1);
  }
  link.settle();
}

describe("connection setup (BEP 29)", () => {
  test("ids: the SYN carries the dialer's receive id; each side sends on the other's receive id", () => {
    const link = new UtpLink(0xffff);
    const [syn] = link.deliver("a");
    expect(syn).toMatchObject({ type: ST_SYN, connectionId: 0xffff, seq: 1 });
    expect(link.a.conn).toMatchObject({ recvId: 0xffff, sendId: 0, state: "syn-sent" });
    expect(link.b.conn).toMatchObject({ recvId: 0, sendId: 0xffff, state: "connected" });
    const [state] = link.deliver("b");
    expect(state).toMatchObject({ type: ST_STATE, connectionId: 0xffff, seq: 500, ack: 1 });
    expect(link.a.events).toEqual(["connect"]);
    expect(link.a.conn!.state).toBe("connected");
    // The ST_STATE did not consume its seq_nr: B's first data packet carries 500, acknowledged as such.
    link.b.conn!.write(new Uint8Array([7]), 0, 1);
    const [data] = link.deliver("b");
    expect(data).toMatchObject({ type: ST_DATA, connectionId: 0xffff, seq: 500 });
    expect(link.a.conn!.ackNr).toBe(500);
    expect(link.a.received).toEqual([new Uint8Array([7])]);
    link.a.conn!.write(new Uint8Array([8]), 0, 1);
    expect(link.deliver("a").find((p) => p.type === ST_DATA)).toMatchObject({ type: ST_DATA, connectionId: 0, seq: 2, ack: 500 });
  });

  test("an unanswered SYN is sent SYN_ATTEMPTS times, then the dial fails", () => {
    const link = new UtpLink();
    for (let i = 1; i < SYN_ATTEMPTS; i++) {
      link.advance(SYN_TIMEOUT_MS);
      expect(link.a.outbox.filter((p) => p.type === ST_SYN).length).toBe(i + 1);
    }
    link.advance(SYN_TIMEOUT_MS);
    expect(link.a.events).toEqual([`close utp connect timed out after ${SYN_ATTEMPTS} SYNs`]);
  });

  test("a reset closes at once; an ack that does not acknowledge our SYN does not open", () => {
    const link = new UtpLink(0x10);
    const id = link.a.conn!.recvId;
    link.a.conn!.receive({ type: ST_STATE, connectionId: id, timestampUs: 0, timestampDiffUs: 0, windowBytes: 1000, seq: 9, ack: 77, payload: new Uint8Array(0) });
    expect(link.a.conn!.state).toBe("syn-sent");
    link.a.conn!.receive({ type: ST_RESET, connectionId: id, timestampUs: 0, timestampDiffUs: 0, windowBytes: 0, seq: 0, ack: 0, payload: new Uint8Array(0) });
    expect(link.a.events).toEqual(["close connection reset by peer"]);
  });
});

describe("data transfer", () => {
  test("200 KiB both ways across the 16-bit sequence wrap, byte-identical", () => {
    const link = connected(0x2000, 0xffc0);
    const ab = patternBytes(200 * 1024, 1);
    const ba = patternBytes(200 * 1024 + 5, 2);
    sendAll(link, ab, "a");
    sendAll(link, ba, "b");
    expect(concat(link.b.received)).toEqual(ab);
    expect(concat(link.a.received)).toEqual(ba);
    expect(link.b.conn!.seqNext).toBeLessThan(0xffc0); // wrapped
    expect(link.a.conn!.inFlightBytes).toBe(0);
  });

  test("packets delivered in reverse order are reassembled; the selective ack names those held", () => {
    const link = connected();
    const data = patternBytes(PAYLOAD_BYTES * 4, 3);
    link.a.conn!.write(data, 0, data.length);
    link.deliver("a", { reverse: true });
    expect(concat(link.b.received)).toEqual(data);
    const acks = link.deliver("b");
    expect(acks.some((p) => p.sack !== undefined)).toBe(true);
    expect(link.a.conn!.inFlightBytes).toBe(0);
  });

  for (const congested of [false, true]) {
    test(`a lost packet is resent after three later ones are acknowledged; the window halves ${congested ? "once when losses are frequent" : "not for a rare loss"}`, () => {
      const link = connected();
      const cc = link.a.conn!.congestion;
      cc.windowBytes = PAYLOAD_BYTES * 8;
      cc.slowStart = false;
      if (congested) cc.lossRate = CONGESTIVE_LOSS_RATE;
      let halvings = 0;
      const onLoss = cc.onLoss.bind(cc);
      cc.onLoss = () => (halvings++, onLoss());
      const data = patternBytes(PAYLOAD_BYTES * 6, 4);
      link.a.conn!.write(data, 0, data.length);
      const sent = link.deliver("a", { filter: (_, i) => i !== 1 });
      expect(sent.length).toBe(5);
      link.deliver("b");
      expect(halvings).toBe(congested ? 1 : 0);
      expect(cc.windowBytes < PAYLOAD_BYTES * 6).toBe(congested);
      const resent = link.a.outbox.filter((p) => p.type === ST_DATA);
      expect(resent.map((p) => p.seq)).toEqual([3]);
      link.settle();
      expect(concat(link.b.received)).toEqual(data);
    });
  }

  test("a lost retransmission is sent again once three packets sent after it are acknowledged, before any timer", () => {
    const link = connected();
    const cc = link.a.conn!.congestion;
    cc.windowBytes = PAYLOAD_BYTES * 20;
    const data = patternBytes(PAYLOAD_BYTES * 9, 6);
    link.a.conn!.write(data, 0, PAYLOAD_BYTES * 6);
    link.deliver("a", { filter: (_, i) => i !== 1 }); // seq 3 lost
    link.deliver("b");
    expect(link.a.outbox.filter((p) => p.type === ST_DATA).map((p) => p.seq)).toEqual([3]);
    link.a.outbox.length = 0; // ...and its retransmission too
    link.a.conn!.write(data, PAYLOAD_BYTES * 6, PAYLOAD_BYTES * 3);
    link.deliver("a");
    link.deliver("b");
    expect(link.a.outbox.filter((p) => p.type === ST_DATA).map((p) => p.seq)).toEqual([3]);
    expect(link.a.conn!.stats).toMatchObject({ fastRetransmits: 2, timeouts: 0 });
    link.settle();
    expect(concat(link.b.received)).toEqual(data);
  });

  test("a lost ack of a whole burst brings a tail-loss probe after two round trips, not a timeout", () => {
    const link = new UtpLink();
    link.deliver("a");
    link.time.advance(50);
    link.deliver("b"); // rtt 50 ms
    const window = link.a.conn!.congestion.windowBytes;
    const data = patternBytes(PAYLOAD_BYTES * 4, 7);
    link.a.conn!.write(data, 0, data.length);
    link.deliver("a");
    link.b.outbox.length = 0; // the one ack for all four is lost
    link.advance(50);
    expect(link.a.outbox.length).toBe(0);
    link.advance(50);
    expect(link.a.outbox.map((p) => p.seq)).toEqual([2]); // the probe: the oldest again
    link.settle();
    expect(link.a.conn!.stats).toMatchObject({ probes: 1, timeouts: 0 });
    expect(link.a.conn!.congestion.windowBytes).toBeGreaterThanOrEqual(window);
    expect(link.a.conn!.inFlightBytes).toBe(0);
    expect(concat(link.b.received)).toEqual(data);
  });

  test("the retransmission timer resends, backs off, and gives up after MAX_TRANSMISSIONS", () => {
    const link = connected();
    const data = new Uint8Array(100);
    link.a.conn!.write(data, 0, data.length);
    link.a.outbox.length = 0; // lost
    // First a tail-loss probe (two round trips; the handshake's was ~0 ms, so after 10 ms)...
    link.advance(10);
    expect(link.a.outbox.length).toBe(1);
    link.a.outbox.length = 0;
    expect(link.a.conn!.stats.probes).toBe(1);
    // ...then the timer, from the write, doubling each time.
    let timeout = link.a.conn!.rtt.timeoutMs;
    let sinceTimerMs = 10;
    for (let n = 3; n <= MAX_TRANSMISSIONS; n++) {
      link.advance(timeout - sinceTimerMs - 1);
      expect(link.a.outbox.length).toBe(0);
      link.advance(1);
      sinceTimerMs = 0;
      expect(link.a.outbox.length).toBe(1);
      expect(link.a.conn!.congestion.windowBytes).toBe(PAYLOAD_BYTES);
      link.a.outbox.length = 0;
      const next = link.a.conn!.rtt.timeoutMs;
      expect(next).toBe(Math.min(timeout * 2, 30_000));
      timeout = next;
    }
    link.advance(timeout);
    expect(link.a.events.at(-1)).toStartWith("close utp timed out");
    expect(link.a.conn!.stats.probes).toBe(1);
  });

  test("round trips measured on acks set the timeout: rtt + 4 rtt_var, at least 500 ms", () => {
    const link = new UtpLink();
    link.deliver("a");
    link.time.advance(400);
    link.deliver("b"); // the SYN's round trip: rtt 400, rtt_var 200
    expect(link.a.conn!.rtt.timeoutMs).toBe(1200);
    link.a.conn!.write(new Uint8Array(10), 0, 10);
    link.deliver("a");
    link.time.advance(800);
    link.deliver("b"); // delta -400: rtt_var 250, rtt 450
    expect(link.a.conn!.rtt.rttMs).toBe(450);
    expect(link.a.conn!.rtt.timeoutMs).toBe(1450);
    link.a.conn!.write(new Uint8Array(10), 0, 10);
    link.deliver("a");
    link.deliver("b");
    for (let i = 0; i < 40; i++) link.a.conn!.rtt.sample(1);
    expect(link.a.conn!.rtt.timeoutMs).toBe(500);
  });

  test("a graceful end: data, then FIN; the other side sees everything, then the close", () => {
    const link = connected();
    const data = patternBytes(10_000, 5);
    link.a.conn!.write(data, 0, data.length);
    link.a.conn!.end();
    const fins: number[] = [];
    for (let i = 0; i < 100 && link.a.outbox.length + link.b.outbox.length > 0; i++) {
      fins.push(...link.a.outbox.filter((p) => p.type === ST_FIN).map((p) => p.seq));
      link.settle(1);
    }
    expect(fins.length).toBe(1);
    expect(concat(link.b.received)).toEqual(data);
    expect(link.b.events).toEqual(["close closed by peer"]);
    expect(link.a.conn!.state).toBe("closed");
  });

  test("writes beyond the send buffer are refused until drain", () => {
    const link = connected();
    link.a.conn!.receive({ ...link.a.outbox[0]!, type: ST_STATE, connectionId: link.a.conn!.recvId, seq: 500, ack: seqAdd(link.a.conn!.seqNext, -1), windowBytes: 0 });
    const big = new Uint8Array(LIMITS.utpSendBufferBytes + 4000);
    const taken = link.a.conn!.write(big, 0, big.length);
    expect(taken).toBeLessThanOrEqual(LIMITS.utpSendBufferBytes);
    // A zero window still lets one packet out (the probe).
    expect(link.a.outbox.filter((p) => p.type === ST_DATA).length).toBe(1);
    link.settle();
    expect(link.a.events).toContain("drain");
  });

  test("silence for DEAD_MS closes; keep-alives are sent meanwhile", () => {
    const link = connected();
    link.advance(30_000);
    expect(link.a.outbox.some((p) => p.type === ST_STATE)).toBe(true);
    link.a.outbox.length = 0;
    link.b.outbox.length = 0;
    link.advance(DEAD_MS);
    expect(link.a.events.at(-1)).toStartWith("close utp peer silent");
  });
});

describe("hostile packets", () => {
  const pkt = (link: UtpLink, over: Partial<Parameters<typeof encodePacket>[0]>) =>
    decodePacket(encodePacket({ type: ST_DATA, connectionId: link.b.conn!.recvId, timestampUs: 0, timestampDiffUs: 0, windowBytes: 1 << 20, seq: 0, ack: 500, payload: new Uint8Array(0), ...over }));

  test("an ack of data never sent is ignored", () => {
    const link = connected();
    link.b.conn!.write(new Uint8Array(100), 0, 100);
    const before = link.b.conn!.inFlightBytes;
    link.b.conn!.receive(pkt(link, { type: ST_STATE, ack: 9000 }));
    expect(link.b.conn!.inFlightBytes).toBe(before);
  });

  test("sequence numbers beyond the reorder window are dropped; held bytes stay under the cap", () => {
    const link = connected();
    const b = link.b.conn!;
    b.receive(pkt(link, { seq: seqAdd(b.ackNr, MAX_REORDER_PACKETS + 5), payload: new Uint8Array(1000) }));
    expect(b.reorderBytes).toBe(0);
    const payload = new Uint8Array(60_000);
    for (let i = 2; i < 200; i++) b.receive(pkt(link, { seq: seqAdd(b.ackNr, i), payload }));
    expect(b.reorderBytes).toBeLessThanOrEqual(LIMITS.utpReorderBytes);
    expect(b.reorderBytes).toBeGreaterThan(0);
    expect(link.b.received.length).toBe(0);
  });

  test("a huge advertised window does not let more than the congestion window out", () => {
    const link = connected();
    link.a.conn!.receive({ ...pkt(link, { type: ST_STATE }), connectionId: link.a.conn!.recvId, seq: 500, ack: 1, windowBytes: 0xffffffff });
    const data = new Uint8Array(200_000);
    link.a.conn!.write(data, 0, data.length);
    expect(link.a.conn!.inFlightBytes).toBeLessThanOrEqual(link.a.conn!.congestion.windowBytes);
  });
});
