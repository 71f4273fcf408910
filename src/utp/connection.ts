// One uTP connection (BEP 29): SYN_SENT -> CONNECTED -> FIN/RESET, a send window under LEDBAT with
// retransmission (timer, 3 duplicate acks, selective acks) and a capped receive reordering buffer.
// Pure: packets leave through env.send, time comes from env.now(); the socket shell calls tick().

import { LIMITS } from "../util/index.ts";
import { ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, buildSack, encodePacket, sackedSeqs, seqAdd, seqDiff, timestampUs, type PacketType, type UtpPacket } from "./codec.ts";
import { Congestion, RttEstimator } from "./congestion.ts";
import { DEAD_MS, DUPLICATE_ACKS, KEEPALIVE_MS, MAX_REORDER_PACKETS, MAX_TRANSMISSIONS, PAYLOAD_BYTES, PACKET_BYTES, SYN_ATTEMPTS, SYN_TIMEOUT_MS, type SentPacket, type UtpEnv, type UtpEvents, type UtpState } from "./params.ts";
import { ReorderBuffer } from "./reorder-buffer.ts";
import { SendBuffer } from "./send-buffer.ts";

export class UtpConnection {
  state: UtpState;
  readonly recvId: number;
  readonly sendId: number;
  readonly congestion = new Congestion(PAYLOAD_BYTES);
  readonly rtt = new RttEstimator();
  /** Counters for logs and benchmarks. */
  readonly stats = { packetsSent: 0, packetsResent: 0, fastRetransmits: 0, probes: 0, timeouts: 0, windowCuts: 0 };
  readonly #env: UtpEnv;
  readonly #events: UtpEvents;
  #seqNext: number;
  #ackNr = 0;
  /** Sent packets not yet acknowledged, contiguous from the oldest to #seqNext - 1. */
  readonly #outstanding: SentPacket[] = [];
  #inFlightBytes = 0;
  readonly #unsent = new SendBuffer();
  #peerWindowBytes = PACKET_BYTES;
  readonly #reorder = new ReorderBuffer(LIMITS.utpReorderBytes);
  #eofSeq: number | undefined;
  #replyDiffUs = 0;
  #ackPending = false;
  #dupAcks = 0;
  #lossRecoverySeq: number | undefined;
  #timerStartMs: number;
  #lastSentMs: number;
  #lastReceivedMs: number;
  #lastDataMs: number;
  #idleLimitMs = Infinity;
  #finWanted = false;
  #wantDrain = false;
  #sendOrder = 0;
  /** A tail-loss probe went out since the last progress of the cumulative ack. */
  #probed = false;

  private constructor(env: UtpEnv, events: UtpEvents, recvId: number, sendId: number, seq: number, state: UtpState) {
    this.#env = env;
    this.#events = events;
    this.recvId = recvId;
    this.sendId = sendId;
    this.#seqNext = seq;
    this.state = state;
    const now = env.now();
    this.#timerStartMs = this.#lastSentMs = this.#lastReceivedMs = this.#lastDataMs = now;
  }

  /** Opens a connection: sends ST_SYN with connection id `recvId` (we send on recvId + 1). */
  static dial(env: UtpEnv, events: UtpEvents, recvId: number): UtpConnection {
    const c = new UtpConnection(env, events, recvId & 0xffff, (recvId + 1) & 0xffff, 1, "syn-sent");
    c.#sendNew(ST_SYN, new Uint8Array(0));
    return c;
  }

  /** Answers a SYN: we receive on its id + 1 and send on its id; ST_STATE carries our first seq_nr (not consumed). */
  static accept(env: UtpEnv, events: UtpEvents, syn: UtpPacket, seq: number): UtpConnection {
    const c = new UtpConnection(env, events, (syn.connectionId + 1) & 0xffff, syn.connectionId, seq & 0xffff, "connected");
    c.#ackNr = syn.seq;
    c.#peerWindowBytes = syn.windowBytes;
    c.#replyDiffUs = (timestampUs(env.now()) - syn.timestampUs) >>> 0;
    c.#sendState();
    return c;
  }

  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }
  get unsentBytes(): number {
    return this.#unsent.length;
  }
  get reorderBytes(): number {
    return this.#reorder.bytes;
  }
  get ackPending(): boolean {
    return this.#ackPending;
  }
  get ackNr(): number {
    return this.#ackNr;
  }
  get seqNext(): number {
    return this.#seqNext;
  }

  /** Takes what fits in the send buffer (copied) and sends what the windows allow; returns bytes taken. */
  write(data: Uint8Array, offset: number, length: number): number {
    if (this.state === "closed" || this.#finWanted) return 0;
    const n = Math.min(length, LIMITS.utpSendBufferBytes - this.#unsent.length);
    if (n > 0) this.#unsent.push(data.slice(offset, offset + n));
    if (n < length) this.#wantDrain = true;
    if (this.state !== "syn-sent") this.#flush();
    return Math.max(0, n);
  }

  /** Close after `ms` without receiving data (0 or Infinity: never). */
  setIdleTimeout(ms: number): void {
    this.#idleLimitMs = ms > 0 ? ms : Infinity;
    this.#lastDataMs = this.#env.now();
  }

  /** Graceful close: what was written is sent, then ST_FIN; the connection ends once that is acknowledged. */
  end(): void {
    if (this.state === "closed" || this.#finWanted) return;
    if (this.state === "syn-sent") return this.terminate("closed before connecting");
    this.#finWanted = true;
    this.#flush();
  }

  /** Abortive close: ST_RESET, and nothing more. */
  terminate(reason = "closed"): void {
    if (this.state === "closed") return;
    this.#sendPacket(ST_RESET, this.#seqNext, new Uint8Array(0));
    this.#close(reason);
  }

  /** Sends a pending acknowledgement now (the shell calls it once per batch of datagrams). */
  flushAck(): void {
    if (this.#ackPending && this.state !== "closed") this.#sendState();
  }

  /** One datagram for this connection (its connection id already matched). */
  receive(p: UtpPacket): void {
    if (this.state === "closed") return;
    const now = this.#env.now();
    this.#lastReceivedMs = now;
    this.#replyDiffUs = (timestampUs(now) - p.timestampUs) >>> 0;
    if (p.type === ST_RESET) return this.#close("connection reset by peer");
    if (this.state === "syn-sent") {
      // Only an ack of our SYN opens the connection (libtorrent: ST_STATE, or ST_DATA carrying it).
      if ((p.type !== ST_STATE && p.type !== ST_DATA) || p.ack !== seqAdd(this.#seqNext, -1)) return;
      this.state = "connected";
      this.#ackNr = seqAdd(p.seq, -1);
      this.#processAck(p, now);
      this.#events.connect();
      if (this.#isClosed()) return;
    } else if (p.type === ST_SYN) {
      // Our ST_STATE answering it was lost: say it again.
      this.#ackPending = true;
      return;
    } else {
      this.#processAck(p, now);
    }
    if (p.type === ST_DATA || p.type === ST_FIN) this.#processIncoming(p, now);
    if (this.#isClosed()) return;
    this.#flush();
    this.#afterProgress();
  }

  /** Timers: retransmission, keep-alive, dead peer, idle data; the shell calls it every few tens of ms. */
  tick(): void {
    if (this.state === "closed") return;
    const now = this.#env.now();
    const oldest = this.#outstanding[0];
    const timeoutMs = this.state === "syn-sent" ? SYN_TIMEOUT_MS : this.rtt.timeoutMs;
    const stalledMs = now - this.#timerStartMs;
    // A tail-loss probe (RFC 8985's idea): no ack for two round trips, well before the timer: the lost
    // one may be the last ack of a burst, or the last packets. The oldest goes again; the window stays.
    const rtt = this.rtt.rttMs;
    if (oldest && !this.#probed && this.state !== "syn-sent" && rtt !== undefined && stalledMs >= Math.max(2 * rtt, 10) && stalledMs < timeoutMs) {
      this.#probed = true;
      const first = this.#outstanding.find((o) => !o.sacked);
      if (first) {
        this.stats.probes++;
        this.#resend(first, now);
      }
    }
    if (oldest && stalledMs >= timeoutMs) {
      if (this.state === "syn-sent") {
        if (oldest.transmissions >= SYN_ATTEMPTS) return this.#close(`utp connect timed out after ${SYN_ATTEMPTS} SYNs`);
      } else if (oldest.transmissions >= MAX_TRANSMISSIONS) {
        return this.#close(`utp timed out: packet ${oldest.seq} sent ${oldest.transmissions} times without an ack`);
      } else {
        this.rtt.backOff();
        this.congestion.onTimeout();
        this.stats.timeouts++;
      }
      for (const o of this.#outstanding) if (!o.sacked && !o.lost) this.#markLost(o);
      this.#timerStartMs = now;
      // At least the oldest goes out again, whatever the window.
      this.#resend(oldest, now);
      this.#flush();
    }
    if (this.#isClosed()) return;
    if (now - this.#lastReceivedMs >= DEAD_MS) return this.#close(`utp peer silent for ${DEAD_MS / 1000} s`);
    if (now - this.#lastDataMs >= this.#idleLimitMs) return this.#close("timed out");
    if (this.state !== "syn-sent" && now - this.#lastSentMs >= KEEPALIVE_MS) this.#sendState();
  }

  #processAck(p: UtpPacket, now: number): void {
    this.#peerWindowBytes = p.windowBytes;
    const first = this.#outstanding[0];
    if (!first) return;
    const newest = seqAdd(this.#seqNext, -1);
    // ignore: an ack of data never sent (hostile or stale); its selective acks too.
    if (seqDiff(p.ack, newest) > 0) return;
    const d = seqDiff(p.ack, first.seq);
    let ackedBytes = 0;
    if (d >= 0) {
      const removed = this.#outstanding.splice(0, d + 1);
      for (const o of removed) {
        if (o.sacked) continue;
        ackedBytes += o.payload.length;
        if (!o.lost) this.#inFlightBytes -= o.payload.length;
      }
      // Karn: the round trip of the packet this ack is for, if it was sent once (not of those it covers:
      // their acks may have waited for a hole to fill).
      const last = removed.at(-1)!;
      if (last.transmissions === 1 && !last.sacked) this.rtt.sample(now - last.sentAtMs);
      this.#dupAcks = 0;
      this.#probed = false;
      this.#timerStartMs = now;
    } else if (d === -1 && p.type === ST_STATE && this.#outstanding.length > 0) {
      const oldest = this.#outstanding[0]!;
      if (++this.#dupAcks >= DUPLICATE_ACKS && !oldest.fastResent && !oldest.sacked) this.#lose(oldest, now);
    }
    if (p.sack) ackedBytes += this.#processSack(p.ack, p.sack, now);
    this.congestion.onAck(ackedBytes, p.timestampDiffUs, now, this.rtt.minRttMs);
  }

  /**
   * Marks selectively acknowledged packets. A packet is lost when DUPLICATE_ACKS later ones sent after its
   * last transmission are acknowledged: so a lost retransmission is sent again without waiting for the timer.
   */
  #processSack(ack: number, sack: Uint8Array, now: number): number {
    const first = this.#outstanding[0];
    if (!first) return 0;
    let acked = 0;
    let highest = -1;
    for (const seq of sackedSeqs(ack, sack)) {
      const i = seqDiff(seq, first.seq);
      if (i < 0 || i >= this.#outstanding.length) continue;
      const o = this.#outstanding[i]!;
      highest = Math.max(highest, i);
      if (o.sacked) continue;
      o.sacked = true;
      if (i === highest && o.transmissions === 1) this.rtt.sample(now - o.sentAtMs);
      acked += o.payload.length;
      if (!o.lost) this.#inFlightBytes -= o.payload.length;
    }
    // The DUPLICATE_ACKS latest send orders among the acknowledged packets after each one, newest first.
    const latest: number[] = [];
    for (let i = highest; i >= 0; i--) {
      const o = this.#outstanding[i]!;
      if (o.sacked) {
        latest.push(o.sendOrder);
        latest.sort((a, b) => b - a);
        if (latest.length > DUPLICATE_ACKS) latest.pop();
      } else if (latest.length === DUPLICATE_ACKS && latest[DUPLICATE_ACKS - 1]! > o.sendOrder) {
        this.#lose(o, now);
      }
    }
    return acked;
  }

  /** Fast retransmit of one packet; a congestive loss halves the window once per window of data. */
  #lose(o: SentPacket, now: number): void {
    o.fastResent = true;
    this.stats.fastRetransmits++;
    this.congestion.onPacketLost();
    if (this.congestion.lossIsCongestive && (this.#lossRecoverySeq === undefined || seqDiff(o.seq, this.#lossRecoverySeq) > 0)) {
      this.congestion.onLoss();
      this.stats.windowCuts++;
      this.#lossRecoverySeq = seqAdd(this.#seqNext, -1);
    }
    if (!o.lost) this.#markLost(o);
    this.#resend(o, now);
  }

  #processIncoming(p: UtpPacket, now: number): void {
    const d = seqDiff(p.seq, seqAdd(this.#ackNr, 1));
    this.#ackPending = true;
    // A duplicate (our ack was lost), or beyond what we keep: acknowledge what we have; the peer resends.
    if (d < 0 || d > MAX_REORDER_PACKETS) return;
    if (this.#eofSeq !== undefined && seqDiff(p.seq, this.#eofSeq) > 0) return;
    if (p.type === ST_FIN) this.#eofSeq = p.seq;
    if (p.payload.length > 0) this.#lastDataMs = now;
    if (d > 0) {
      this.#reorder.hold(p.seq, p.payload);
      // Out of order: acknowledge at once so the selective ack reaches the sender quickly.
      this.#sendState();
      return;
    }
    this.#ackNr = p.seq;
    if (p.payload.length > 0) this.#events.data(p.payload);
    for (;;) {
      if (this.state === "closed") return;
      const next = seqAdd(this.#ackNr, 1);
      const payload = this.#reorder.take(next);
      if (payload === undefined) break;
      this.#ackNr = next;
      if (payload.length > 0) this.#events.data(payload);
    }
    if (!this.#isClosed() && this.#eofSeq !== undefined && this.#ackNr === this.#eofSeq) {
      this.#sendState();
      this.#close("closed by peer");
    }
  }

  /** Resends lost packets, then new data, then ST_FIN, as far as the windows allow. */
  #flush(): void {
    if (this.state !== "connected" && this.state !== "fin-sent") return;
    const now = this.#env.now();
    const window = () => Math.min(this.congestion.windowBytes, this.#peerWindowBytes);
    for (const o of this.#outstanding) {
      if (!o.lost || o.sacked) continue;
      if (this.#inFlightBytes > 0 && this.#inFlightBytes + o.payload.length > window()) return;
      this.#resend(o, now);
    }
    while (this.#unsent.length > 0) {
      const size = Math.min(PAYLOAD_BYTES, this.#unsent.length);
      // One packet may always be in flight, so a zero window is probed.
      if (this.#inFlightBytes > 0 && this.#inFlightBytes + size > window()) return;
      this.#sendNew(ST_DATA, this.#unsent.take(size));
    }
    if (this.#finWanted && this.state === "connected") {
      this.state = "fin-sent";
      this.#sendNew(ST_FIN, new Uint8Array(0));
    }
  }

  #afterProgress(): void {
    if (this.state === "fin-sent" && this.#outstanding.length === 0) return this.#close("closed");
    if (this.#wantDrain && this.#unsent.length < LIMITS.utpSendBufferBytes / 2) {
      this.#wantDrain = false;
      this.#events.drain();
    }
  }

  #sendNew(type: PacketType, payload: Uint8Array): void {
    const o: SentPacket = { seq: this.#seqNext, type, payload, sentAtMs: 0, sendOrder: 0, transmissions: 0, sacked: false, lost: true, fastResent: false };
    this.#seqNext = seqAdd(this.#seqNext, 1);
    if (this.#outstanding.length === 0) this.#timerStartMs = this.#env.now();
    this.#outstanding.push(o);
    this.#resend(o, this.#env.now());
  }

  #markLost(o: SentPacket): void {
    o.lost = true;
    this.#inFlightBytes -= o.payload.length;
  }

  #resend(o: SentPacket, now: number): void {
    if (o.lost) this.#inFlightBytes += o.payload.length;
    o.lost = false;
    o.sentAtMs = now;
    o.sendOrder = ++this.#sendOrder;
    o.transmissions++;
    this.stats.packetsSent++;
    if (o.transmissions > 1) this.stats.packetsResent++;
    this.#sendPacket(o.type, o.seq, o.payload);
  }

  #sendState(): void {
    this.#sendPacket(ST_STATE, this.#seqNext, new Uint8Array(0));
  }

  #sendPacket(type: PacketType, seq: number, payload: Uint8Array): void {
    const now = this.#env.now();
    const sack = this.#reorder.size > 0 ? buildSack(this.#ackNr, this.#reorder.seqs()) : undefined;
    this.#env.send(
      encodePacket({
        type,
        connectionId: type === ST_SYN ? this.recvId : this.sendId,
        timestampUs: timestampUs(now),
        timestampDiffUs: this.#replyDiffUs,
        windowBytes: LIMITS.utpReorderBytes - this.#reorder.bytes,
        seq,
        ack: this.#ackNr,
        sack,
        payload,
      }),
    );
    this.#lastSentMs = now;
    this.#ackPending = false;
  }

  /** The state as it is now (events called meanwhile may have closed the connection). */
  #isClosed(): boolean {
    return this.state === "closed";
  }

  #close(reason: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.#outstanding.length = 0;
    this.#inFlightBytes = 0;
    this.#unsent.clear();
    this.#reorder.clear();
    this.#env.closed?.();
    this.#events.close(reason);
  }
}
