import { describe, expect, test } from "bun:test";
import { parseInfoDictionary } from "../../src/metainfo/index.ts";
import { sha1, sha256 } from "../../src/util/index.ts";
import { METADATA_PIECE_SIZE, MetadataAssembler, answerMetadataRequest, type MetadataReceiveResult } from "../../src/wire/index.ts";
import { bdecode, isDict } from "../helpers/mini-bencode.ts";
import { makeTorrentBytes, patternBytes } from "../helpers/torrent-fixture.ts";

/** A real info dict of 37.6 KB (3 metadata pieces: 16384, 16384, 4852), from 30000 bytes in 16-byte pieces. */
function makeInfo(): Uint8Array {
  const torrent = makeTorrentBytes({ name: "meta.bin", pieceLength: 16, data: patternBytes(30_000, 5) }).torrentBytes;
  const top = bdecode(torrent);
  if (!isDict(top)) throw new Error("top level is not a dict");
  const [start, end] = top.spans.get("info")!;
  return torrent.slice(start, end);
}

const INFO = makeInfo();
const HASH = sha1(INFO);
const SIZE = INFO.length;
const COUNT = Math.ceil(SIZE / METADATA_PIECE_SIZE);

/** What an honest peer sends for `piece`. */
function piece(index: number, info = INFO): Uint8Array {
  const answer = answerMetadataRequest(info, index);
  if (answer.type !== "data") throw new Error(`no piece ${index}`);
  return answer.block.slice();
}

/** Requests and delivers pieces round-robin over `peers` until the assembler stops accepting. */
function fetchAll(a: MetadataAssembler, peers: string[], send: (peer: string, index: number) => Uint8Array = (_, i) => piece(i)): MetadataReceiveResult[] {
  const results: MetadataReceiveResult[] = [];
  for (let round = 0; round < 100; round++) {
    const asked = peers.map((p) => [p, a.nextPieceToRequest(p)] as const).filter(([, i]) => i !== undefined);
    if (asked.length === 0) break;
    for (const [p, i] of asked) {
      const result = a.receive(i!, send(p, i!), p);
      results.push(result);
      if (result.kind === "complete" || result.kind === "mismatch") return results;
    }
  }
  return results;
}

describe("MetadataAssembler: the happy path", () => {
  test("the fixture spans 3 metadata pieces with a short last one", () => {
    expect(COUNT).toBe(3);
    expect(SIZE % METADATA_PIECE_SIZE).toBeGreaterThan(0);
  });

  test("BEP 52: the info hash may be the SHA-256 of the info dict truncated to 20 bytes (a v2 torrent)", () => {
    const a = new MetadataAssembler(sha256(INFO).subarray(0, 20), SIZE);
    a.addPeer("A", SIZE);
    expect(fetchAll(a, ["A"]).at(-1)).toEqual({ kind: "complete", infoBytes: INFO });
    const wrong = new MetadataAssembler(sha256(INFO).subarray(1, 21), SIZE);
    wrong.addPeer("A", SIZE);
    expect(fetchAll(wrong, ["A"]).at(-1)?.kind).toBe("mismatch");
  });

  test("assembles from three peers, each asked for a different piece, and the result parses", () => {
    const a = new MetadataAssembler(HASH, SIZE);
    for (const p of ["A", "B", "C"]) a.addPeer(p, SIZE);
    expect(["A", "B", "C"].map((p) => a.nextPieceToRequest(p))).toEqual([0, 1, 2]);
    expect(a.receive(1, piece(1), "B")).toEqual({ kind: "accepted", remaining: 2 });
    expect(a.receive(0, piece(0), "A")).toEqual({ kind: "accepted", remaining: 1 });
    const done = a.receive(2, piece(2), "C");
    expect(done).toEqual({ kind: "complete", infoBytes: INFO });
    expect(a.isComplete).toBe(true);
    expect(a.infoBytes).toEqual(INFO);
    expect(parseInfoDictionary(a.infoBytes!).infoHash).toEqual(HASH);
  });

  test("a single peer fetches everything, at most maxRequestsPerPeer at a time", () => {
    const a = new MetadataAssembler(HASH, SIZE, { maxRequestsPerPeer: 2 });
    a.addPeer("A", SIZE);
    expect([a.nextPieceToRequest("A"), a.nextPieceToRequest("A"), a.nextPieceToRequest("A")]).toEqual([0, 1, undefined]);
    a.receive(0, piece(0), "A");
    expect(a.nextPieceToRequest("A")).toBe(2);
    a.receive(1, piece(1), "A");
    expect(a.receive(2, piece(2), "A").kind).toBe("complete");
    expect(a.nextPieceToRequest("A")).toBeUndefined();
    expect(a.receive(0, piece(0), "A")).toMatchObject({ kind: "ignored", reason: "metadata already complete" });
  });

  test("the block is copied: the caller may reuse its buffer", () => {
    const a = new MetadataAssembler(HASH, SIZE);
    a.addPeer("A", SIZE);
    const blocks = [0, 1, 2].map((i) => {
      expect(a.nextPieceToRequest("A")).toBe(i);
      return piece(i);
    });
    blocks.forEach((b, i) => {
      a.receive(i, b, "A");
      b.fill(0);
    });
    expect(a.infoBytes).toEqual(INFO);
  });

  test("a one-piece info dict", () => {
    const small = INFO.subarray(0, 100);
    const a = new MetadataAssembler(sha1(small), 100);
    a.addPeer("A", 100);
    expect(a.pieceCount).toBe(1);
    expect(a.nextPieceToRequest("A")).toBe(0);
    expect(a.receive(0, small.slice(), "A")).toEqual({ kind: "complete", infoBytes: small });
  });
});

describe("MetadataAssembler: reservations", () => {
  test("an unknown peer, or one that advertised another size, is not asked", () => {
    const a = new MetadataAssembler(HASH, SIZE);
    a.addPeer("A", SIZE);
    a.addPeer("B", SIZE + 1);
    expect(a.nextPieceToRequest("nobody")).toBeUndefined();
    expect(a.nextPieceToRequest("B")).toBeUndefined();
  });

  test("data that was not requested from that peer is ignored, not stored", () => {
    const a = new MetadataAssembler(HASH, SIZE);
    a.addPeer("A", SIZE);
    a.addPeer("B", SIZE);
    expect(a.nextPieceToRequest("A")).toBe(0);
    expect(a.receive(0, piece(0), "B").kind).toBe("ignored");
    expect(a.receive(1, piece(1), "A").kind).toBe("ignored");
    expect(a.remaining).toBe(3);
  });

  test("release hands a timed-out piece to the next peer; removePeer releases everything", () => {
    const a = new MetadataAssembler(HASH, SIZE);
    for (const p of ["A", "B", "C"]) a.addPeer(p, SIZE);
    expect(a.nextPieceToRequest("A")).toBe(0);
    a.release("A", 0);
    expect(a.nextPieceToRequest("B")).toBe(0);
    a.removePeer("B");
    expect(a.nextPieceToRequest("C")).toBe(0);
  });

  test("a rejected piece is not offered to that peer again", () => {
    const a = new MetadataAssembler(HASH, SIZE);
    a.addPeer("A", SIZE);
    expect(a.nextPieceToRequest("A")).toBe(0);
    a.rejected("A", 0);
    expect([a.nextPieceToRequest("A"), a.nextPieceToRequest("A"), a.nextPieceToRequest("A")]).toEqual([1, 2, undefined]);
  });

  test("when every missing piece is reserved, a piece is shared; the first answer wins", () => {
    const a = new MetadataAssembler(HASH, SIZE, { maxRequestsPerPeer: 3 });
    a.addPeer("A", SIZE);
    a.addPeer("B", SIZE);
    expect([0, 1, 2].map(() => a.nextPieceToRequest("A"))).toEqual([0, 1, 2]);
    expect(a.nextPieceToRequest("B")).toBe(0);
    expect(a.nextPieceToRequest("B")).toBe(1);
    expect(a.receive(0, piece(0), "B").kind).toBe("accepted");
    expect(a.receive(0, piece(0), "A").kind).toBe("ignored");
  });

  test("a block of the wrong length is invalid: the peer misbehaves", () => {
    const a = new MetadataAssembler(HASH, SIZE);
    a.addPeer("A", SIZE);
    a.nextPieceToRequest("A");
    expect(a.receive(0, new Uint8Array(100), "A")).toEqual({ kind: "invalid", reason: `metadata piece 0 has 100 bytes, expected 16384 for a size of ${SIZE}` });
    expect(a.remaining).toBe(3);
    expect(a.nextPieceToRequest("A")).toBe(0);
  });
});

describe("MetadataAssembler: bad data and size disagreement", () => {
  test("a peer sending bad bytes: mismatch, every contributor reported, all discarded, refetched without it", () => {
    const a = new MetadataAssembler(HASH, SIZE);
    for (const p of ["A", "B", "C"]) a.addPeer(p, SIZE);
    const liar = (p: string, i: number) => (p === "B" ? piece(i).fill(0x58) : piece(i));
    const results = fetchAll(a, ["A", "B", "C"], liar);
    const last = results.at(-1)!;
    expect(last).toEqual({ kind: "mismatch", peers: ["A", "B", "C"], size: SIZE, nextSize: SIZE });
    expect(a.isComplete).toBe(false);
    expect(a.remaining).toBe(COUNT);

    a.removePeer("B");
    expect(fetchAll(a, ["A", "C"]).at(-1)).toEqual({ kind: "complete", infoBytes: INFO });
  });

  test("before any piece arrives, the most common advertised size wins", () => {
    const a = new MetadataAssembler(HASH, SIZE + 7);
    a.addPeer("X", SIZE + 7);
    expect(a.size).toBe(SIZE + 7);
    a.addPeer("A", SIZE);
    expect(a.size).toBe(SIZE + 7);
    a.addPeer("B", SIZE);
    expect(a.size).toBe(SIZE);
    expect(a.nextPieceToRequest("X")).toBeUndefined();
    expect(fetchAll(a, ["X", "A", "B"]).at(-1)?.kind).toBe("complete");
  });

  test("liars in the majority: their size fails the hash, then the next most common size is tried", () => {
    const wrong = SIZE + 5000;
    const fake = new Uint8Array(wrong).fill(0x61);
    const a = new MetadataAssembler(HASH, wrong);
    a.addPeer("L1", wrong);
    a.addPeer("L2", wrong);
    a.addPeer("H", SIZE);
    expect(a.size).toBe(wrong);
    const send = (p: string, i: number) => (p === "H" ? piece(i) : piece(i, fake));
    expect(fetchAll(a, ["L1", "L2", "H"], send).at(-1)).toEqual({ kind: "mismatch", peers: ["L1", "L2"], size: wrong, nextSize: SIZE });
    expect(a.size).toBe(SIZE);
    expect(a.nextPieceToRequest("L1")).toBeUndefined();
    expect(fetchAll(a, ["L1", "L2", "H"], send).at(-1)).toEqual({ kind: "complete", infoBytes: INFO });
  });

  test("once pieces have arrived, a new vote does not switch the size mid-way", () => {
    const a = new MetadataAssembler(HASH, SIZE);
    a.addPeer("A", SIZE);
    a.nextPieceToRequest("A");
    a.receive(0, piece(0), "A");
    a.addPeer("X", SIZE + 1);
    a.addPeer("Y", SIZE + 1);
    expect(a.size).toBe(SIZE);
    expect(a.remaining).toBe(2);
  });

  test("a request in flight across a size change is ignored when it lands", () => {
    const a = new MetadataAssembler(HASH, SIZE + 1);
    a.addPeer("X", SIZE + 1);
    expect(a.nextPieceToRequest("X")).toBe(0);
    a.addPeer("A", SIZE);
    a.addPeer("B", SIZE);
    expect(a.size).toBe(SIZE);
    expect(a.receive(0, piece(0), "X").kind).toBe("ignored");
  });

  test("RangeError for a bad infoHash or size (local bugs)", () => {
    expect(() => new MetadataAssembler(new Uint8Array(19), SIZE)).toThrow(RangeError);
    expect(() => new MetadataAssembler(HASH, 0)).toThrow(RangeError);
    expect(() => new MetadataAssembler(HASH, 8 * 1024 * 1024 + 1)).toThrow(RangeError);
    expect(() => new MetadataAssembler(HASH, SIZE).addPeer("A", -1)).toThrow(RangeError);
  });
});
