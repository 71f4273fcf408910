import { describe, expect, test } from "bun:test";
import type { PeerConnection } from "../../src/peer/index.ts";
import { BLOCK_SIZE } from "../../src/metainfo/index.ts";
import { PeerState, ReadCache, Uploader, MAX_QUEUED_REQUESTS } from "../../src/swarm/index.ts";
import { StorageError } from "../../src/util/index.ts";
import { Bitfield, decodeMessage } from "../../src/wire/index.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";
import { FakeTime } from "../helpers/fake-time.ts";

const fixture = makeTorrentFixture({ name: "u.bin", pieceLength: 2 * BLOCK_SIZE, data: patternBytes(4 * 2 * BLOCK_SIZE, 41) });

/** A connection stand-in that records the messages sent and lets a test hold its socket "full". */
function fakePeer(fast: boolean) {
  const sent: Uint8Array[] = [];
  // Like a socket, it takes a copy of a transient send (the uploader reuses that buffer).
  const conn = { closed: false, queuedBytes: 0, uploadedBytes: 0, sent, send: (b: Uint8Array, transient = false) => void sent.push(transient ? b.slice() : b) };
  const peer = new PeerState(conn as unknown as PeerConnection, "127.0.0.1:1", fixture.meta.pieceCount, 0);
  peer.fast = fast;
  /** Every frame sent, decoded (several piece frames may share one send). */
  const messages = () => {
    const out: string[] = [];
    for (const chunk of sent) {
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (let at = 0; at < chunk.length; at += 4 + view.getUint32(at)) {
        const frame = chunk.subarray(at + 4, at + 4 + view.getUint32(at));
        const m = decodeMessage(frame[0]!, frame.subarray(1));
        if (m.type === "piece") {
          const start = m.index * fixture.meta.pieceLength + m.begin;
          const intact = Bun.hash(m.block) === Bun.hash(fixture.data.subarray(start, start + m.block.length));
          out.push(`piece ${m.index}:${m.begin}+${m.block.length}${intact ? "" : " (wrong bytes)"}`);
        } else out.push("index" in m ? `${m.type} ${m.index}` : m.type);
      }
    }
    return out;
  };
  return { peer, conn, messages };
}

function uploader(have = Bitfield.full(fixture.meta.pieceCount), readPiece?: (i: number) => Uint8Array, onError: (err: unknown) => void = (err) => { throw err; }) {
  const { pieceLength } = fixture.meta;
  const cache = new ReadCache(readPiece ?? ((i, into) => (into.set(fixture.data.subarray(i * pieceLength, (i + 1) * pieceLength)), into)), 1 << 20, pieceLength);
  return new Uploader({ meta: fixture.meta, have, cache, clock: new FakeTime(), bucket: undefined }, { onUploaded: () => {}, wakeAfter: () => {}, onError });
}

describe("Uploader", () => {
  test("serves requests of an unchoked peer in order, with the right bytes, in one send per chunk read", async () => {
    const u = uploader();
    const { peer, conn, messages } = fakePeer(true);
    u.unchoke(peer);
    // Requests read from one socket chunk are queued first and served together once it is handled.
    u.onRequest(peer, 1, BLOCK_SIZE, BLOCK_SIZE);
    u.onRequest(peer, 0, 0, 10);
    expect(messages()).toEqual(["unchoke"]);
    await Promise.resolve();
    expect(messages()).toEqual(["unchoke", `piece 1:${BLOCK_SIZE}+${BLOCK_SIZE}`, "piece 0:0+10"]);
    expect(conn.uploadedBytes).toBe(BLOCK_SIZE + 10);
    expect(conn.sent.length).toBe(2); // the unchoke, then both blocks in one write
  });

  test("data gone from disk while serving a request is reported to the torrent, not thrown from the microtask", async () => {
    const errors: unknown[] = [];
    const gone = new StorageError("cannot read piece 1: u.bin is missing or shorter than it was");
    const u = uploader(undefined, () => {
      throw gone;
    }, (err) => errors.push(err));
    const { peer, messages } = fakePeer(true);
    u.unchoke(peer);
    u.onRequest(peer, 1, 0, BLOCK_SIZE);
    await Promise.resolve();
    expect(errors).toEqual([gone]);
    expect(messages()).toEqual(["unchoke"]);
  });

  test("a cancelled request is never served", () => {
    const u = uploader();
    const { peer, conn, messages } = fakePeer(false);
    u.unchoke(peer);
    conn.queuedBytes = 1; // the socket took part of a send: requests wait for drain
    u.onRequest(peer, 0, 0, BLOCK_SIZE);
    u.onRequest(peer, 1, 0, BLOCK_SIZE);
    u.onCancel(peer, 0, 0, BLOCK_SIZE);
    conn.queuedBytes = 0; // drain
    u.serve(peer);
    expect(messages()).toEqual(["unchoke", `piece 1:0+${BLOCK_SIZE}`]);
  });

  test("choking drops the queue, with a reject for each request when the peer is fast", () => {
    const u = uploader();
    const fast = fakePeer(true);
    const plain = fakePeer(false);
    for (const { peer, conn } of [fast, plain]) {
      u.unchoke(peer);
      conn.queuedBytes = 1;
      u.onRequest(peer, 2, 0, BLOCK_SIZE);
      u.onRequest(peer, 3, 0, BLOCK_SIZE);
      u.choke(peer);
      conn.queuedBytes = 0;
      u.serve(peer);
    }
    expect(fast.messages()).toEqual(["unchoke", "choke", "reject 2", "reject 3"]);
    expect(plain.messages()).toEqual(["unchoke", "choke"]);
  });

  test("requests while choked or for missing pieces are rejected (fast) or dropped", () => {
    const have = Bitfield.full(fixture.meta.pieceCount);
    have.clear(3);
    const u = uploader(have);
    const fast = fakePeer(true);
    u.onRequest(fast.peer, 0, 0, BLOCK_SIZE); // choked
    u.unchoke(fast.peer);
    u.onRequest(fast.peer, 3, 0, BLOCK_SIZE); // lacking
    expect(fast.messages()).toEqual(["reject 0", "unchoke", "reject 3"]);
    const plain = fakePeer(false);
    u.onRequest(plain.peer, 0, 0, BLOCK_SIZE);
    expect(plain.messages()).toEqual([]);
  });

  test("bad requests throw so the caller drops the peer", () => {
    const u = uploader();
    const { peer } = fakePeer(true);
    u.unchoke(peer);
    expect(() => u.onRequest(peer, 4, 0, 1)).toThrow(/piece 4 out of range/);
    expect(() => u.onRequest(peer, 0, 0, BLOCK_SIZE + 1)).toThrow(/length 16385 out of range/);
    expect(() => u.onRequest(peer, 0, 0, 0)).toThrow(/length 0 out of range/);
    expect(() => u.onRequest(peer, 0, BLOCK_SIZE + 1, BLOCK_SIZE)).toThrow(/runs past the piece end/);
  });

  test("more than MAX_QUEUED_REQUESTS waiting is a flood", () => {
    const u = uploader();
    const { peer, conn } = fakePeer(false);
    u.unchoke(peer);
    conn.queuedBytes = 1;
    for (let i = 0; i < MAX_QUEUED_REQUESTS; i++) u.onRequest(peer, i % 4, 0, 1);
    expect(() => u.onRequest(peer, 0, 0, 1)).toThrow(/request flood/);
  });
});
