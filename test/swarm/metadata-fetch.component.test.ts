// The magnet metadata phase (BEP 9) against scripted peers over in-memory transports on a fake clock:
// the info dict assembled from several 16 KiB pieces, a peer sending wrong metadata dropped, and an
// unanswered request asked again once it times out.

import { afterEach, describe, expect, test } from "bun:test";
import { MetadataFetcher, type MetadataFetchEvents } from "../../src/swarm/index.ts";
import { FakeTime, settle } from "../helpers/fake-time.ts";
import { scriptMetadataPeer, scriptedNetwork, type MetadataScript } from "../helpers/scripted-peer.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const PEER_A = { host: "127.0.0.1", port: 6881 };
const PEER_B = { host: "127.0.0.1", port: 6882 };
/** The fetcher's timeout for an unanswered metadata request (metadata-fetch.ts). */
const REQUEST_TIMEOUT_MS = 15_000;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** An info dict of three metadata pieces (a filler key makes it larger than two). */
const fx = makeTorrentFixture({ name: "m.bin", pieceLength: 16384, data: patternBytes(50_000, 3), extraInfo: { "x-filler": new Uint8Array(40_000).fill(0x61) } });

function setup() {
  const time = new FakeTime();
  const swarm = scriptedNetwork({ clock: time });
  const fetcher = new MetadataFetcher({
    infoHash: fx.meta.infoHash,
    peerId: new TextEncoder().encode("-RP0001-metadata0001"),
    version: "test",
    clock: time,
    dial: { dialer: swarm.net.dialer },
  });
  stops.push(() => fetcher.stop());
  let result: MetadataFetchEvents["done"] | undefined;
  const done = new Promise<MetadataFetchEvents["done"]>((resolve) => fetcher.on("done", (d) => resolve((result = d))));
  const warnings: string[] = [];
  fetcher.on("warning", (w) => warnings.push(w.message));
  const peer = (address: typeof PEER_A, script: Partial<MetadataScript> = {}) =>
    swarm.listen(address, (p) => scriptMetadataPeer(p, fx.meta.infoHash, { infoBytes: fx.meta.infoBytes, ...script }));
  fetcher.start();
  return { time, swarm, fetcher, done, warnings, peer, result: () => result };
}

describe("MetadataFetcher over memory transports", () => {
  test("assembles the info dict from a scripted peer's pieces", async () => {
    expect(fx.meta.infoBytes.length).toBeGreaterThan(2 * 16384);
    const s = setup();
    s.peer(PEER_A);
    s.fetcher.addPeers([PEER_A]);
    const { infoBytes, peers } = await s.done;
    expect(infoBytes).toEqual(fx.meta.infoBytes);
    expect(peers).toContainEqual(PEER_A);
    const asked = s.swarm.peersAt(PEER_A)[0]!.received("extended").filter((e) => e.id !== 0);
    expect(asked).toHaveLength(3);
  });

  test("a peer whose metadata does not hash to the info hash is dropped; another peer's is taken", async () => {
    const s = setup();
    const lie = fx.meta.infoBytes.slice();
    lie[lie.length - 100]! ^= 1; // inside the filler: still a valid dict, but the wrong one
    s.peer(PEER_A, { infoBytes: lie });
    s.peer(PEER_B);
    s.fetcher.addPeers([PEER_A]);
    const a = (await s.swarm.accepted.waitFor(1))[0]!.peer;
    expect(await a.closed).toBeString();
    expect(s.warnings.some((w) => w.includes("does not match the info hash"))).toBe(true);
    expect(s.result()).toBeUndefined();
    s.fetcher.addPeers([PEER_B]);
    const { infoBytes } = await s.done;
    expect(infoBytes).toEqual(fx.meta.infoBytes);
  });

  test("a request left unanswered is asked again once it times out on the fake clock", async () => {
    const s = setup();
    s.peer(PEER_A, { ignoreRequestsPerPiece: 1 });
    s.fetcher.addPeers([PEER_A]);
    const a = (await s.swarm.accepted.waitFor(1))[0]!.peer;
    await a.nextOf("extended"); // our extension handshake
    await a.nextOf("extended"); // the first metadata request
    await settle();
    const requests = () => a.received("extended").filter((e) => e.id !== 0).length;
    expect(requests()).toBe(3);
    s.time.advance(REQUEST_TIMEOUT_MS - 1000);
    await settle();
    expect(requests()).toBe(3);
    expect(s.result()).toBeUndefined();
    s.time.advance(1000); // the tick at which the requests are 15 s old
    await settle();
    expect(requests()).toBe(6);
    expect(s.result()?.infoBytes).toEqual(fx.meta.infoBytes);
  });
});
