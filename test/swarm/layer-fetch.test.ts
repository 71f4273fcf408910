import { describe, expect, test } from "bun:test";
import { hashesForRequest, pieceLayerRequests, type Metainfo } from "../../src/metainfo/index.ts";
import { PieceLayerFetch } from "../../src/swarm/layer-fetch.ts";
import { toHex } from "../../src/util/index.ts";
import { makeV2TorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const PIECE = 16384;
const full = makeV2TorrentFixture({
  name: "t",
  pieceLength: PIECE,
  files: [
    { path: ["big"], data: patternBytes(600 * PIECE + 1, 1) }, // 601 pieces: a layer of 1024, two requests
    { path: ["mid"], data: patternBytes(3 * PIECE, 2) },
    { path: ["same"], data: patternBytes(3 * PIECE, 2) }, // same root as mid: asked once
    { path: ["small"], data: patternBytes(10, 3) },
  ],
}).meta;
/** The torrent as a magnet gives it: the info dict without piece layers. */
const bare: Metainfo = { ...full, v2: { ...full.v2!, pieceLayers: new Map() } };

describe("pieceLayerRequests", () => {
  test("runs of at most 512 hashes over each padded layer, identical files once, small files never", () => {
    const reqs = pieceLayerRequests(bare);
    expect(reqs.map((r) => [r.index, r.length, r.baseLayer, r.proofLayers])).toEqual([
      [0, 512, 0, 0],
      [512, 512, 0, 0],
      [0, 4, 0, 0],
    ]);
    expect(pieceLayerRequests(full)).toEqual([]);
  });
});

describe("PieceLayerFetch", () => {
  test("answers from an honest seeder give exactly the torrent's piece layers", () => {
    const fetch = new PieceLayerFetch(bare);
    for (let req = fetch.next("a", 0); req; req = fetch.next("a", 0)) expect(fetch.onHashes("a", req, hashesForRequest(full, req)!).result).toBe("accepted");
    expect(fetch.done).toBe(true);
    const layers = fetch.layers();
    expect([...layers.keys()].sort()).toEqual([...full.v2!.pieceLayers.keys()].sort());
    for (const [root, layer] of layers) expect(toHex(layer)).toBe(toHex(full.v2!.pieceLayers.get(root)!));
  });

  test("at most 4 requests in flight per peer; a reject sends the range to another peer", () => {
    const fetch = new PieceLayerFetch(bare);
    const first = fetch.next("a", 0)!;
    expect(fetch.next("a", 0)).toBeDefined();
    expect(fetch.next("a", 0)).toBeDefined();
    expect(fetch.next("a", 0)).toBeUndefined(); // three ranges in all, all with a
    fetch.onReject("a", first);
    expect(fetch.next("b", 0)).toEqual(first);
  });

  test("a layer that does not hash to its root is owed again, the lone sender blamed", () => {
    const fetch = new PieceLayerFetch(bare);
    const reqs = [fetch.next("liar", 0)!, fetch.next("liar", 0)!];
    const big = reqs.filter((r) => r.length === 512);
    expect(fetch.onHashes("liar", big[0]!, new Uint8Array(512 * 32)).result).toBe("accepted"); // not checkable yet
    expect(fetch.onHashes("liar", big[1]!, hashesForRequest(full, big[1]!)!)).toEqual({ result: "bad", blame: ["liar"] });
    expect(fetch.done).toBe(false);
    // Another peer now gets both ranges of that file back.
    const again = [fetch.next("honest", 0), fetch.next("honest", 0), fetch.next("honest", 0)].filter((r) => r?.length === 512);
    expect(again.length).toBe(2);
  });

  test("ranges not asked for, or too short, are ignored; timed-out and departed peers' ranges are owed again", () => {
    const fetch = new PieceLayerFetch(bare);
    const req = fetch.next("a", 0)!;
    expect(fetch.onHashes("a", { ...req, index: 7 }, new Uint8Array(32 * req.length)).result).toBe("ignored");
    expect(fetch.onHashes("a", req, new Uint8Array(31)).result).toBe("ignored");
    fetch.release(undefined, 10_000, 15_000); // not timed out yet: still a's
    const b = fetch.next("b", 10_000)!;
    expect([b.index, b.length]).not.toEqual([req.index, req.length]);
    fetch.release(undefined, 15_000, 15_000); // a's (asked at 0) times out, b's (at 10 s) not
    expect(fetch.next("c", 15_000)).toEqual(req);
    fetch.release("b"); // b left
    expect(fetch.next("d", 15_000)).toEqual(b);
  });
});
