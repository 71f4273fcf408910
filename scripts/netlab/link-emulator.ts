// Link emulator for the netlab: holds packets queued by nftables for a fixed delay and drops some at
// random, per link direction (one netfilter queue each). The kernel here has no netem, so delay and loss
// are done in user space; rate caps stay in the kernel (HTB). Runs in the lab's core namespace, as root.
//
// Usage: bun link-emulator.ts '[{"queue":0,"delayMs":25,"loss":0.001}, ...]'
// Prints "ready" once every queue is bound; then runs until killed. LAB_STATS=1: packet counts on stderr.

import { NF_ACCEPT, NF_DROP, NfQueue } from "./nfqueue.ts";

interface LinkSpec {
  queue: number;
  delayMs: number;
  /** Probability that one MTU-sized packet is lost. */
  loss: number;
}

/** TCP payload of one 1500-byte packet with timestamps: a GSO packet counts as this many packets for loss. */
const SEGMENT_BYTES = 1448;
const COPY_BYTES = 64;
const MAX_QUEUED = 50_000;

/** A FIFO of packet ids and their release times (all packets of one queue have the same delay). */
class Held {
  ids = new Float64Array(1024);
  due = new Float64Array(1024);
  head = 0;
  tail = 0;

  push(id: number, due: number): void {
    if (this.tail === this.ids.length) {
      const live = this.tail - this.head;
      const size = live * 2 > this.ids.length ? this.ids.length * 2 : this.ids.length;
      const ids = new Float64Array(size);
      const dues = new Float64Array(size);
      ids.set(this.ids.subarray(this.head, this.tail));
      dues.set(this.due.subarray(this.head, this.tail));
      [this.ids, this.due, this.head, this.tail] = [ids, dues, 0, live];
    }
    this.ids[this.tail] = id;
    this.due[this.tail++] = due;
  }
}

function main(): void {
  const specs = JSON.parse(process.argv[2] ?? "[]") as LinkSpec[];
  if (specs.length === 0) throw new Error("usage: link-emulator.ts '[{\"queue\":N,\"delayMs\":D,\"loss\":P}]'");
  const nfq = new NfQueue();
  const links = new Map<number, { spec: LinkSpec; held: Held }>();
  for (const spec of specs) {
    nfq.bind(spec.queue, { copyBytes: COPY_BYTES, maxLen: MAX_QUEUED });
    links.set(spec.queue, { spec, held: new Held() });
  }
  console.log("ready");
  const all = [...links.values()];
  let packets = 0;
  let bytes = 0;
  let statsAt = performance.now();
  const onPacket = (p: { queue: number; id: number; lengthBytes: number }): void => {
    packets++;
    bytes += p.lengthBytes;
    const link = links.get(p.queue);
    if (!link) return nfq.verdict(p.queue, p.id, NF_ACCEPT);
    const { loss, delayMs } = link.spec;
    if (loss > 0) {
      const segments = Math.max(1, Math.ceil((p.lengthBytes - 52) / SEGMENT_BYTES));
      if (Math.random() < 1 - (1 - loss) ** segments) return nfq.verdict(p.queue, p.id, NF_DROP);
    }
    if (delayMs <= 0) return nfq.verdict(p.queue, p.id, NF_ACCEPT);
    link.held.push(p.id, performance.now() + delayMs);
  };
  for (;;) {
    const now = performance.now();
    if (process.env.LAB_STATS && now - statsAt > 2000) {
      console.error(`packets ${packets}, avg ${(bytes / Math.max(packets, 1)).toFixed(0)} bytes`);
      statsAt = now;
    }
    let next = Infinity;
    for (const { spec, held } of all) {
      let last = -1;
      while (held.head < held.tail && held.due[held.head]! <= now) last = held.ids[held.head++]!;
      // Ids rise within a queue and every packet of it waits as long, so one batch verdict releases a run.
      if (last >= 0) nfq.verdict(spec.queue, last, NF_ACCEPT, true);
      if (held.head === held.tail) held.head = held.tail = 0;
      else next = Math.min(next, held.due[held.head]!);
    }
    const waitMs = next === Infinity ? 200 : Math.max(0, next - performance.now());
    nfq.receive(waitMs, onPacket);
  }
}

main();
