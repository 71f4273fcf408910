// Netfilter queue (nfnetlink_queue) over a raw netlink socket through bun:ffi: bind queues, read packet
// notices, send verdicts. Linux only, root (CAP_NET_ADMIN) in the namespace whose packets are queued.
// Only what the link emulator needs: metadata plus the first bytes of each packet, GSO packets whole.

import { dlopen, FFIType, read } from "bun:ffi";

const libc = dlopen("libc.so.6", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  ppoll: { args: [FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
});
const c = libc.symbols;

// <linux/socket.h>, <linux/netlink.h>, <linux/netfilter/nfnetlink{,_queue}.h>
const AF_NETLINK = 16;
const SOCK_RAW = 3;
const NETLINK_NETFILTER = 12;
const SOL_SOCKET = 1;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_NO_ENOBUFS = 5;
const MSG_DONTWAIT = 0x40;
const POLLIN = 1;
const EAGAIN = 11;
const EINTR = 4;
const ENOBUFS = 105;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLMSG_ERROR = 2;
const NFNL_SUBSYS_QUEUE = 3;
const NFQNL_MSG_PACKET = 0;
const NFQNL_MSG_VERDICT = 1;
const NFQNL_MSG_CONFIG = 2;
const NFQNL_MSG_VERDICT_BATCH = 3;
const NFQA_PACKET_HDR = 1;
const NFQA_VERDICT_HDR = 2;
const NFQA_PAYLOAD = 10;
const NFQA_CAP_LEN = 13;
const NFQA_CFG_CMD = 1;
const NFQA_CFG_PARAMS = 2;
const NFQA_CFG_QUEUE_MAXLEN = 3;
const NFQA_CFG_MASK = 4;
const NFQA_CFG_FLAGS = 5;
const NFQNL_CFG_CMD_BIND = 1;
const NFQNL_COPY_PACKET = 2;
const NFQA_CFG_F_GSO = 4;
export const NF_DROP = 0;
export const NF_ACCEPT = 1;

/** One queued packet: its queue, its id (increasing per queue) and its length in bytes (a GSO packet whole). */
export interface QueuedPacket {
  queue: number;
  id: number;
  lengthBytes: number;
}

function errno(): number {
  return read.i32(c.__errno_location()!, 0);
}

/** Appends a netlink attribute (type, value) padded to 4 bytes. */
function attr(type: number, value: Uint8Array): Uint8Array {
  const len = 4 + value.length;
  const out = new Uint8Array((len + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, len, true);
  v.setUint16(2, type, true);
  out.set(value, 4);
  return out;
}

function be32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

/** nlmsghdr + nfgenmsg (family, version 0, res_id = queue number, big-endian) + attributes. */
function message(msgType: number, flags: number, queue: number, attrs: Uint8Array[], seq = 0): Uint8Array {
  const body = attrs.reduce((n, a) => n + a.length, 0);
  const out = new Uint8Array(20 + body);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length, true);
  v.setUint16(4, (NFNL_SUBSYS_QUEUE << 8) | msgType, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  v.setUint8(16, 0); // AF_UNSPEC
  v.setUint16(18, queue);
  let at = 20;
  for (const a of attrs) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** A netlink socket bound to netfilter queues. `receive` hands over packets; `verdict` releases or drops them. */
export class NfQueue {
  readonly #fd: number;
  readonly #buf = new Uint8Array(1 << 20);
  readonly #view = new DataView(this.#buf.buffer);
  readonly #pollfd = new Uint8Array(8);
  readonly #timespec = new BigInt64Array(2);
  readonly #verdictMsg = new Uint8Array(32);
  readonly #verdictView = new DataView(this.#verdictMsg.buffer);
  #seq = 1;

  constructor() {
    this.#fd = c.socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
    if (this.#fd < 0) throw new Error(`netlink socket: errno ${errno()}`);
    const addr = new Uint8Array(12);
    new DataView(addr.buffer).setUint16(0, AF_NETLINK, true);
    if (c.bind(this.#fd, addr, 12) < 0) throw new Error(`netlink bind: errno ${errno()}`);
    this.#setInt(SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20);
    this.#setInt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1);
    new DataView(this.#pollfd.buffer).setInt32(0, this.#fd, true);
    new DataView(this.#pollfd.buffer).setInt16(4, POLLIN, true);
    // The verdict message's fixed parts: header, nfgenmsg, one NFQA_VERDICT_HDR attribute.
    const v = this.#verdictView;
    v.setUint32(0, 32, true);
    v.setUint16(6, NLM_F_REQUEST, true);
    v.setUint16(20, 12, true);
    v.setUint16(22, NFQA_VERDICT_HDR, true);
  }

  #setInt(level: number, name: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, value, true);
    if (c.setsockopt(this.#fd, level, name, b, 4) < 0) throw new Error(`setsockopt ${level}/${name}: errno ${errno()}`);
  }

  /** Binds queue `num`: packets copied up to `copyBytes`, GSO packets not segmented, at most `maxLen` waiting. */
  bind(num: number, opts: { copyBytes: number; maxLen: number }): void {
    const cmd = new Uint8Array([NFQNL_CFG_CMD_BIND, 0, 0, 2]); // pf AF_INET, big-endian
    this.#request(message(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, num, [attr(NFQA_CFG_CMD, cmd)], this.#seq++));
    const params = new Uint8Array(5);
    new DataView(params.buffer).setUint32(0, opts.copyBytes);
    params[4] = NFQNL_COPY_PACKET;
    this.#request(
      message(
        NFQNL_MSG_CONFIG,
        NLM_F_REQUEST | NLM_F_ACK,
        num,
        [
          attr(NFQA_CFG_PARAMS, params),
          attr(NFQA_CFG_QUEUE_MAXLEN, be32(opts.maxLen)),
          attr(NFQA_CFG_FLAGS, be32(NFQA_CFG_F_GSO)),
          attr(NFQA_CFG_MASK, be32(NFQA_CFG_F_GSO)),
        ],
        this.#seq++,
      ),
    );
  }

  /** Sends a config request and waits for its ack; throws with the kernel's errno. */
  #request(msg: Uint8Array): void {
    if (Number(c.send(this.#fd, msg, msg.length, 0)) < 0) throw new Error(`netlink send: errno ${errno()}`);
    for (;;) {
      const n = Number(c.recv(this.#fd, this.#buf, this.#buf.length, 0));
      if (n < 0) throw new Error(`netlink recv: errno ${errno()}`);
      const type = this.#view.getUint16(4, true);
      if (type === NLMSG_ERROR) {
        const err = this.#view.getInt32(16, true);
        if (err !== 0) throw new Error(`nfqueue config refused: errno ${-err}`);
        return;
      }
    }
  }

  /**
   * Waits up to `timeoutMs` (fractions count: delays of a few ms need better than 1 ms) for packets; calls
   * `onPacket` for each that arrived, reading at most `maxReads` socket buffers so that the caller's releases
   * are not held up by a flood.
   */
  receive(timeoutMs: number, onPacket: (p: QueuedPacket) => void, maxReads = 8): void {
    const ns = BigInt(Math.max(0, Math.round(timeoutMs * 1e6)));
    this.#timespec[0] = ns / 1_000_000_000n;
    this.#timespec[1] = ns % 1_000_000_000n;
    const ready = c.ppoll(this.#pollfd, 1, this.#timespec, null);
    if (ready < 0 && errno() !== EINTR) throw new Error(`ppoll: errno ${errno()}`);
    if (ready <= 0) return;
    for (let reads = 0; reads < maxReads; reads++) {
      const n = Number(c.recv(this.#fd, this.#buf, this.#buf.length, MSG_DONTWAIT));
      if (n < 0) {
        const e = errno();
        if (e === EAGAIN || e === EINTR) return;
        if (e === ENOBUFS) continue; // the kernel dropped notices (queue full): those packets are gone already
        throw new Error(`netlink recv: errno ${e}`);
      }
      this.#parse(n, onPacket);
    }
  }

  #parse(n: number, onPacket: (p: QueuedPacket) => void): void {
    const v = this.#view;
    for (let at = 0; at + 16 <= n; ) {
      const len = v.getUint32(at, true);
      if (len < 16 || at + len > n) return;
      if (v.getUint16(at + 4, true) === ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
        const queue = v.getUint16(at + 18);
        let id = -1;
        let lengthBytes = 0;
        for (let a = at + 20; a + 4 <= at + len; ) {
          const alen = v.getUint16(a, true);
          if (alen < 4) break;
          const type = v.getUint16(a + 2, true) & 0x3fff;
          if (type === NFQA_PACKET_HDR) id = v.getUint32(a + 4);
          else if (type === NFQA_PAYLOAD && lengthBytes === 0) lengthBytes = alen - 4;
          else if (type === NFQA_CAP_LEN) lengthBytes = v.getUint32(a + 4);
          a += (alen + 3) & ~3;
        }
        if (id >= 0) onPacket({ queue, id, lengthBytes });
      }
      at += (len + 3) & ~3;
    }
  }

  /** Sets the verdict of packet `id` of `queue`; `batch` applies it to every packet up to `id` still queued. */
  verdict(queue: number, id: number, verdict: number, batch = false): void {
    const v = this.#verdictView;
    v.setUint16(4, (NFNL_SUBSYS_QUEUE << 8) | (batch ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT), true);
    v.setUint16(18, queue);
    v.setUint32(24, verdict);
    v.setUint32(28, id);
    if (Number(c.send(this.#fd, this.#verdictMsg, 32, 0)) < 0) throw new Error(`netlink verdict: errno ${errno()}`);
  }
}
