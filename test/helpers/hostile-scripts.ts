// The misdeeds a test/helpers/malicious-peer.ts peer can be scripted with: hooks that replace its honest
// seeder behaviour at one point (the handshake, a message, serving a block). No I/O of its own.

import { LIMITS } from "../../src/util/index.ts";
import { BLOCK_SIZE } from "../../src/metainfo/index.ts";
import { Bitfield, encodeHandshake, encodeMessage, type PeerMessage } from "../../src/wire/index.ts";
import type { HostileConnection } from "./malicious-peer.ts";

/** Hooks over the honest default; a hook left out keeps the default. */
export interface Script {
  /** Set the BEP 6 fast bit in our handshake. */
  readonly fast?: boolean;
  /** The socket opened (default: a dialer sends its handshake). */
  open?(c: HostileConnection): void;
  /** The remote handshake arrived (default: greet, i.e. handshake and a full bitfield). */
  handshake?(c: HostileConnection): void;
  /** Any message; return true when handled (default: unchoke on interested, serve requests). */
  message?(c: HostileConnection, msg: PeerMessage): boolean | void;
  /** A request of an unchoked remote (default: send the block). */
  serve?(c: HostileConnection, index: number, begin: number, length: number): void;
}

export type Misbehaviour =
  | "wrong-info-hash"
  | "huge-length-prefix"
  | "unknown-message-ids"
  | "bitfield-wrong-length"
  | "bitfield-spare-bits"
  | "have-out-of-range"
  | "unrequested-blocks"
  | "wrong-size-blocks"
  | "corrupt-blocks"
  | "slowloris"
  | "request-flood"
  | "reject-flood"
  | "choke-flapping"
  | "disconnect-mid-block";

/** Ids no BEP assigns (BEP 3 0-8, BEP 5 9, BEP 6 13-17, BEP 10 20). */
const UNKNOWN_IDS = [10, 11, 12, 18, 19, 21, 99, 255];

function frame(id: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(0, 1 + payload.length);
  out[4] = id;
  out.set(payload, 5);
  return out;
}

/** Many copies of one frame in one buffer (floods go out in one write, as fast as the socket takes them). */
function repeated(bytes: Uint8Array, times: number): Uint8Array {
  const out = new Uint8Array(bytes.length * times);
  for (let i = 0; i < times; i++) out.set(bytes, i * bytes.length);
  return out;
}

export const SCRIPTS: Record<Misbehaviour, Script> = {
  "wrong-info-hash": {
    open: (c) => c.dialer && c.sendHandshake(new Uint8Array(20).fill(0xee)),
    handshake: (c) => {
      c.sendHandshake(new Uint8Array(20).fill(0xee));
      c.acted();
    },
  },

  "huge-length-prefix": {
    handshake: (c) => {
      c.greet();
      c.send(Uint8Array.of(0x80, 0, 0, 0, 7, 1, 2, 3)); // 2^31, then the start of a "body"
      c.acted();
    },
  },

  "unknown-message-ids": {
    handshake: (c) => {
      c.greet();
      for (const id of UNKNOWN_IDS) c.send(frame(id, new Uint8Array(1000).fill(id)));
      c.acted();
    },
  },

  "bitfield-wrong-length": {
    handshake: (c) => {
      c.sendHandshake();
      const bytes = Bitfield.full(c.pieceCount).toBytes();
      c.send(encodeMessage({ type: "bitfield", bytes: new Uint8Array([...bytes, 0xff]) }));
      c.acted();
    },
  },

  "bitfield-spare-bits": {
    handshake: (c) => {
      if (c.pieceCount % 8 === 0) throw new Error("bitfield-spare-bits needs a piece count that is not a multiple of 8");
      c.sendHandshake();
      c.send(encodeMessage({ type: "bitfield", bytes: new Uint8Array(Math.ceil(c.pieceCount / 8)).fill(0xff) }));
      c.acted();
    },
  },

  "have-out-of-range": {
    handshake: (c) => {
      c.sendHandshake();
      c.send(encodeMessage({ type: "have", index: c.pieceCount }));
      c.acted();
    },
  },

  // Advertises nothing (so nothing is requested from it) and sends blocks anyway.
  "unrequested-blocks": {
    handshake: (c) => {
      c.sendHandshake();
      const blocks: Uint8Array[] = [];
      for (let i = 0; i < 2 * LIMITS.unrequestedBlocksPerPeer; i++) {
        const index = i % c.pieceCount;
        blocks.push(c.pieceFrame(index, 0, Math.min(BLOCK_SIZE, c.pieceLengthAt(index))));
      }
      for (const b of blocks) c.send(b);
      c.acted();
    },
  },

  "wrong-size-blocks": {
    serve: (c, index, begin, length) => {
      c.send(c.pieceFrame(index, begin, length - 1));
      c.peer.stats.tampered++;
      c.acted();
    },
  },

  "corrupt-blocks": {
    serve: (c, index, begin, length) => {
      const start = index * c.torrent.pieceLength + begin;
      const block = c.torrent.data.slice(start, start + length);
      block[0]! ^= 0xff;
      c.send(c.pieceFrame(index, begin, length, block));
      c.peer.stats.tampered++;
      c.acted();
    },
  },

  // A few handshake bytes, then silence; it never answers the client's handshake.
  slowloris: {
    open: (c) => {
      c.send(encodeHandshake({ infoHash: c.torrent.infoHash, peerId: c.peer.peerId }).subarray(0, 10));
      c.acted();
    },
    handshake: () => {},
  },

  // Interested, unchoked, then thousands of requests for a full-size piece the client announced (whole
  // blocks, so what the socket buffers absorb is a few hundred of them), without reading.
  "request-flood": {
    handshake: (c) => {
      c.sendHandshake();
      c.send(encodeMessage({ type: "interested" }));
    },
    message: (c, msg) => {
      const full = (i: number) => c.pieceLengthAt(i) === c.torrent.pieceLength;
      if (msg.type === "unchoke") c.scratch.unchoked = true;
      if (msg.type === "have" && full(msg.index)) c.scratch.target ??= msg.index;
      if (msg.type === "bitfield") c.scratch.target ??= [...Bitfield.fromBytes(msg.bytes, c.pieceCount).indices()].find(full);
      if (!c.scratch.unchoked || c.scratch.target === undefined || c.scratch.flooded) return false;
      c.scratch.flooded = true;
      c.pauseReading();
      const index = c.scratch.target as number;
      c.send(repeated(encodeMessage({ type: "request", index, begin: 0, length: BLOCK_SIZE }), 4 * LIMITS.queuedRequestsPerPeer));
      c.acted();
      return true;
    },
  },

  // Fast extension on, so every request the client cannot serve is answered with a reject, which this
  // peer never reads: requests for a piece the client lacks, megabytes of them.
  "reject-flood": {
    fast: true,
    handshake: (c) => {
      c.sendHandshake();
      c.send(encodeMessage({ type: "have_none" }));
      c.pauseReading();
      const request = encodeMessage({ type: "request", index: 0, begin: 0, length: Math.min(BLOCK_SIZE, c.pieceLengthAt(0)) });
      // Past the kernel's socket buffers (a few MiB on loopback) and the client's unread-bytes cap.
      const batch = repeated(request, 64 * 1024);
      for (let i = 0; i < 8; i++) c.send(batch);
      c.acted();
    },
  },

  "choke-flapping": {
    message: (c, msg) => {
      if (msg.type !== "interested") return false;
      const flap = new Uint8Array([...encodeMessage({ type: "unchoke" }), ...encodeMessage({ type: "choke" })]);
      c.send(repeated(flap, 4 * LIMITS.chokesPerPeer));
      c.acted();
      return true;
    },
  },

  // Half of the first block asked for, then the connection is gone.
  "disconnect-mid-block": {
    serve: (c, index, begin, length) => {
      c.send(c.pieceFrame(index, begin, length).subarray(0, 13 + Math.floor(length / 2)));
      c.acted();
      c.end();
    },
  },
};
