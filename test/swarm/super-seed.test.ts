// BEP 16 super-seeding: what a super-seeding origin shows each peer (pure, over stand-in connections), and
// a real super-seeding Client on 127.0.0.1 facing a scripted peer and two ripple leechers.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Client } from "../../src/index.ts";
import { BLOCK_SIZE } from "../../src/metainfo/index.ts";
import type { PeerConnection } from "../../src/peer/index.ts";
import { PeerState, SuperSeeder, OFFERS_PER_PEER, offersPerPeer } from "../../src/swarm/index.ts";
import { decodeMessage, encodeMessage, encodeRequest, makeReserved } from "../../src/wire/index.ts";
import { expectFixtureOnDisk } from "../helpers/files.ts";
import { tempDir } from "../helpers/process.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";
import { finished, seedFixture, useClients } from "../helpers/torrents.ts";
import { connectWireClient } from "../helpers/wire-client.ts";

const PIECES = 8;

/** A stand-in connection recording the messages sent to the peer, as "have 3", "have_none". */
function fakePeer(fast = true) {
  const sent: string[] = [];
  const conn = {
    send: (b: Uint8Array) => {
      const m = decodeMessage(b[4]!, b.subarray(5));
      sent.push("index" in m ? `${m.type} ${m.index}` : m.type);
    },
  };
  const peer = new PeerState(conn as unknown as PeerConnection, `127.0.0.1:${sent.length}`, PIECES, 0);
  peer.fast = fast;
  const offered = () => sent.filter((s) => s.startsWith("have ")).map((s) => Number(s.slice(5)));
  return { peer, sent, offered };
}

/** Random numbers from a fixed sequence (the scan's start). */
function sequence(...xs: number[]): () => number {
  let i = 0;
  return () => xs[i++ % xs.length]!;
}

describe("SuperSeeder", () => {
  test("a new peer sees no pieces, then OFFERS_PER_PEER pieces; two peers are offered different pieces", () => {
    const s = new SuperSeeder(PIECES, new Uint16Array(PIECES), { random: sequence(0, 0.5) });
    const a = fakePeer();
    const b = fakePeer(false);
    s.greet(a.peer);
    s.greet(b.peer);
    expect(a.sent[0]).toBe("have_none");
    expect(b.sent.includes("have_none")).toBe(false); // no BEP 6: nothing instead of an empty bitfield
    expect(a.offered().length).toBe(OFFERS_PER_PEER);
    expect(b.offered().length).toBe(OFFERS_PER_PEER);
    expect(new Set([...a.offered(), ...b.offered()]).size).toBe(2 * OFFERS_PER_PEER);
  });

  test("only offered pieces may be requested; the peer's have settles an offer and brings a new one", () => {
    const s = new SuperSeeder(PIECES, new Uint16Array(PIECES), { random: sequence(0.25) });
    const a = fakePeer();
    s.greet(a.peer);
    const [first, second] = a.offered();
    const other = [...Array(PIECES).keys()].find((i) => !a.offered().includes(i))!;
    expect(s.allows(a.peer, first!)).toBe(true);
    expect(s.allows(a.peer, other)).toBe(false);
    a.peer.has.set(first!);
    s.onPeerHas(a.peer);
    expect(s.allows(a.peer, first!)).toBe(false);
    expect(s.allows(a.peer, second!)).toBe(true);
    expect(a.offered().length).toBe(OFFERS_PER_PEER + 1);
    expect(a.offered().at(-1)).not.toBe(first);
  });

  test("pieces the swarm already has, or that were offered to others, are offered last", () => {
    const availability = new Uint16Array(PIECES).fill(1);
    availability[5] = 0;
    availability[6] = 0;
    const s = new SuperSeeder(PIECES, availability, { random: sequence(0) });
    const a = fakePeer();
    s.greet(a.peer);
    expect(a.offered().sort()).toEqual([5, 6]);
    const b = fakePeer();
    s.greet(b.peer); // 5 and 6 are out with a: b gets pieces one other peer has
    expect(b.offered().some((i) => i === 5 || i === 6)).toBe(false);
    s.forget(a.peer); // a left: its offers go back
    const c = fakePeer();
    s.greet(c.peer);
    expect(c.offered().sort()).toEqual([5, 6]);
  });

  test("a piece announced by another peer settles its offer elsewhere (a peer that keeps its haves to itself)", () => {
    const availability = new Uint16Array(PIECES);
    const s = new SuperSeeder(PIECES, availability, { random: sequence(0, 0.5) });
    const a = fakePeer();
    const b = fakePeer();
    s.greet(a.peer);
    s.greet(b.peer);
    const [x] = a.offered();
    b.peer.has.set(x!);
    availability[x!]!++; // as the picker counts b's have
    s.onPeerHas(b.peer, x);
    expect(s.allows(a.peer, x!)).toBe(false);
    expect(a.offered().length).toBe(OFFERS_PER_PEER + 1);
  });

  test("offers per peer cover about 1 MiB: more for small pieces, at least 2, at most 16", () => {
    expect([16 * 1024, 32 * 1024, 128 * 1024, 1024 * 1024, 4 * 1024 * 1024].map(offersPerPeer)).toEqual([16, 16, 8, 2, 2]);
    const s = new SuperSeeder(PIECES, new Uint16Array(PIECES), { perPeer: 5 });
    const a = fakePeer();
    s.greet(a.peer);
    expect(a.offered().length).toBe(5);
  });

  test("a peer that has everything but what it was offered gets no more offers", () => {
    const s = new SuperSeeder(PIECES, new Uint16Array(PIECES));
    const a = fakePeer();
    for (let i = 0; i < PIECES; i++) a.peer.has.set(i);
    s.greet(a.peer);
    expect(a.offered()).toEqual([]);
  });
});

describe("a super-seeding Client", () => {
  const { client, defer } = useClients();
  const CLIENT_PIECES = 40;
  const fixture = makeTorrentFixture({ name: "origin.bin", pieceLength: 2 * BLOCK_SIZE, data: patternBytes(CLIENT_PIECES * 2 * BLOCK_SIZE - 100, 7) });

  /** A super-seeding origin of the fixture: its port. */
  const origin = () => seedFixture(client(), fixture, defer, { seedOnly: true, superSeed: true });

  test("shows a new peer have_none and about 1 MiB of pieces, and rejects requests for the others", async () => {
    const port = await origin();
    const w = await connectWireClient(port, fixture.meta.infoHash, { reserved: makeReserved({ fast: true }) });
    try {
      expect((await w.next())?.type).toBe("handshake");
      expect((await w.next())?.type).toBe("have_none");
      const offered: number[] = [];
      while (offered.length < offersPerPeer(fixture.meta.pieceLength)) offered.push((await w.nextOf("have"))!.index);
      expect(offered.length).toBe(16);
      w.send(encodeMessage({ type: "interested" }));
      await w.nextOf("unchoke");
      const hidden = [...Array(CLIENT_PIECES).keys()].find((i) => !offered.includes(i))!;
      w.send(encodeRequest(hidden, 0, BLOCK_SIZE));
      w.send(encodeRequest(offered[0]!, 0, BLOCK_SIZE));
      const reject = await w.nextOf("reject");
      expect(reject?.index).toBe(hidden);
      const piece = await w.nextOf("piece");
      expect(piece?.index).toBe(offered[0]);
    } finally {
      w.end();
    }
  });

  test("two ripple leechers get every byte from a super-seeding origin", async () => {
    await using work = await tempDir();
    const port = await origin();
    const a = client();
    const b = client();
    const peers = [{ host: "127.0.0.1", port }];
    const ta = a.addTorrent(fixture.meta, { outDir: join(work.path, "a"), peers: [...peers, { host: "127.0.0.1", port: b.port }], noTrackers: true });
    const tb = b.addTorrent(fixture.meta, { outDir: join(work.path, "b"), peers, noTrackers: true });
    await Promise.all([finished(ta), finished(tb)]);
    await expectFixtureOnDisk(fixture, join(work.path, "a"));
    await expectFixtureOnDisk(fixture, join(work.path, "b"));
  });
});
