// Test helper: two uTP connections joined by an in-memory link under a fake clock, with packets held
// until a test delivers, drops or reorders them. Pure; no sockets, no real timers.

import { UtpConnection, decodePacket, type UtpEvents, type UtpPacket } from "../../src/utp/index.ts";
import { FakeTime } from "./fake-time.ts";

export interface Side {
  conn: UtpConnection | undefined;
  /** Packets sent by this side, not yet delivered. */
  readonly outbox: UtpPacket[];
  readonly received: Uint8Array[];
  readonly events: string[];
  readonly ev: UtpEvents;
}

function side(): Side {
  const s: Side = {
    conn: undefined,
    outbox: [],
    received: [],
    events: [],
    ev: {
      connect: () => s.events.push("connect"),
      data: (b) => s.received.push(b.slice()),
      drain: () => s.events.push("drain"),
      close: (r) => s.events.push(`close ${r}`),
    },
  };
  return s;
}

export class UtpLink {
  readonly time = new FakeTime();
  readonly a = side();
  readonly b = side();

  /** A dials (connection id `recvId`); B is created from A's SYN when it is delivered, starting at `bSeq`. */
  constructor(recvId = 0x1000, readonly bSeq = 500) {
    this.a.conn = UtpConnection.dial(this.#env(this.a), this.a.ev, recvId);
  }

  #env(s: Side) {
    return { now: () => this.time.now(), send: (bytes: Uint8Array) => void s.outbox.push(decodePacket(bytes)) };
  }

  /** Delivers what `from` sent (all, or those `filter` keeps; the rest are dropped), in order or reversed. */
  deliver(from: "a" | "b", opts: { filter?: (p: UtpPacket, i: number) => boolean; reverse?: boolean } = {}): UtpPacket[] {
    const src = this[from];
    const to = from === "a" ? this.b : this.a;
    const batch = src.outbox.splice(0).filter((p, i) => opts.filter?.(p, i) ?? true);
    if (opts.reverse) batch.reverse();
    for (const p of batch) {
      if (!to.conn && from === "a") to.conn = UtpConnection.accept(this.#env(to), to.ev, p, this.bSeq);
      else to.conn?.receive(p);
    }
    for (const c of [this.a.conn, this.b.conn]) c?.flushAck();
    return batch;
  }

  /** Delivers both ways until nothing is left in flight. */
  settle(rounds = 10_000): void {
    for (let i = 0; i < rounds && (this.a.outbox.length > 0 || this.b.outbox.length > 0); i++) {
      this.deliver("a");
      this.deliver("b");
    }
  }

  /** Moves the fake clock and runs both connections' timers. */
  advance(ms: number): void {
    this.time.advance(ms);
    this.a.conn?.tick();
    this.b.conn?.tick();
  }
}
