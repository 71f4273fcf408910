// Trackers that misbehave, seen from a whole download: hanging, garbage, failing, redirecting, listing
// thousands of peers or our own address. The download must still complete through another tier or
// the peers it knows, and nothing a tracker says may grow the peer list without bound.

import { describe, expect, test } from "bun:test";
import type { PeerAddress } from "../src/index.ts";
import { MAX_KNOWN_PEERS } from "../src/swarm/index.ts";
import { startFakeSeeder } from "./helpers/fake-peer.ts";
import { startFakeTracker, type FakeTracker } from "./helpers/fake-tracker.ts";
import { tempDir } from "./helpers/process.ts";
import { makeTorrentFixture, patternBytes, type TorrentFixture } from "./helpers/torrent-fixture.ts";
import { finished, useClients } from "./helpers/torrents.ts";
import { FakeTime, settle } from "./helpers/fake-time.ts";
import { expectFixtureOnDisk } from "./helpers/files.ts";

const { client, defer } = useClients();

async function tracker(reply: FakeTracker["reply"]): Promise<FakeTracker> {
  const t = await startFakeTracker(reply);
  defer(() => t.close());
  return t;
}

function torrentWith(tiers: string[][]): TorrentFixture {
  return makeTorrentFixture({
    name: "tr.bin",
    pieceLength: 16384,
    data: patternBytes(100_000, 121),
    announce: tiers[0]![0]!,
    announceList: tiers,
  });
}

function seederFor(f: TorrentFixture): PeerAddress {
  const s = startFakeSeeder({ infoHash: f.meta.infoHash, pieceLength: f.meta.pieceLength, totalLength: f.meta.totalLength, data: f.data });
  defer(() => s.stop());
  return { host: "127.0.0.1", port: s.port };
}

describe("misbehaving trackers", () => {
  test("a hanging tier and a garbage tier are passed over; the third tier's peers are used", async () => {
    await using out = await tempDir();
    const hang = await tracker({ kind: "hang" });
    const garbage = await tracker({ kind: "body", body: "<html>not bencode</html>" });
    const good = await tracker({ kind: "peers", peers: [] });
    const f = torrentWith([[hang.url], [garbage.url], [good.url]]);
    good.reply = { kind: "peers", peers: [seederFor(f)] };
    // The client runs on a fake clock: the hanging tier times out when the test says so, and the answers
    // of the other tiers (real sockets) never race a real timeout on a loaded machine. The timeout is
    // longer than the test's own, so only the client's clock can end the hang.
    const time = new FakeTime();
    const t = client({ clock: time, trackerTimeoutMs: 120_000 }).addTorrent(f.meta, { outDir: out.path });
    const warnings: string[] = [];
    t.on("warning", ({ message }) => warnings.push(message));
    await hang.waitForAnnounces(1);
    expect(garbage.announces).toHaveLength(0);
    time.advance(119_999);
    await settle();
    expect(garbage.announces).toHaveLength(0);
    time.advance(1);
    await finished(t);
    await expectFixtureOnDisk(f, out.path);
    expect(warnings.some((w) => w.includes(hang.url.replace(/\/announce$/, "")) && /timed out/.test(w))).toBe(true);
    expect(warnings.some((w) => /not valid bencode|tracker reply/.test(w))).toBe(true);
  });

  test("a tracker that only fails never stops a download with known peers", async () => {
    await using out = await tempDir();
    const failing = await tracker({ kind: "failure", reason: "torrent not registered" });
    const f = torrentWith([[failing.url]]);
    const t = client().addTorrent(f.meta, { outDir: out.path, peers: [seederFor(f)] });
    const warning = new Promise<string>((resolve) => t.on("warning", ({ message }) => resolve(message)));
    await finished(t);
    await expectFixtureOnDisk(f, out.path);
    expect(await warning).toContain("torrent not registered");
  });

  test("redirects are followed to another HTTP tracker, and never to another scheme", async () => {
    await using out = await tempDir();
    const real = await tracker({ kind: "peers", peers: [] });
    const front = await tracker({ kind: "redirect", location: real.url });
    const bad = await tracker({ kind: "redirect", location: "file:///etc/passwd" });
    const f = torrentWith([[bad.url], [front.url]]);
    real.reply = { kind: "peers", peers: [seederFor(f)] };
    const t = client().addTorrent(f.meta, { outDir: out.path });
    const warnings: string[] = [];
    t.on("warning", ({ message }) => warnings.push(message));
    await finished(t);
    await expectFixtureOnDisk(f, out.path);
    expect(real.announces.length).toBeGreaterThanOrEqual(1);
    expect(warnings.some((w) => w.includes("redirect to an unusable location: file:///etc/passwd"))).toBe(true);
  });

  test("thousands of peers (ours among them) are capped; the good one is still found", async () => {
    await using out = await tempDir();
    const flood = await tracker({ kind: "peers", peers: [] });
    const f = torrentWith([[flood.url]]);
    const c = client();
    // Addresses in 127.1.0.0/16 port 1: loopback, and nothing listens there.
    const junk = Array.from({ length: 5000 }, (_, i) => ({ host: `127.1.${i >> 8}.${i & 255}`, port: 1 }));
    flood.reply = { kind: "peers", peers: [{ host: "127.0.0.1", port: c.port }, seederFor(f), ...junk] };
    const t = c.addTorrent(f.meta, { outDir: out.path });
    const connected: string[] = [];
    t.on("peer", (p) => p.event === "connected" && connected.push(p.address));
    await finished(t);
    await expectFixtureOnDisk(f, out.path);
    expect(t.stats().knownPeers).toBeLessThanOrEqual(Math.min(MAX_KNOWN_PEERS, 1000));
    expect(connected).not.toContain(`127.0.0.1:${c.port}`); // ourselves: dialed once, recognised, dropped
  });
});
