// The daemon on an injected clock (FakeTime): the dates it shows, the seeding time it counts, the seeding
// time limit that stops a torrent and the 30 s save of daemon.json all follow that clock, not the wall.
// The daemon's Client and so the torrent's ticks run on it too, on 127.0.0.1 with no peers.

import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { useDaemons } from "../helpers/daemon.ts";
import { FakeTime } from "../helpers/fake-time.ts";
import { waitFor } from "../helpers/process.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles } from "../helpers/torrent-fixture.ts";
import { finished } from "../helpers/torrents.ts";

const { startDaemon, tempDirForTest } = useDaemons();

describe("daemon clock", () => {
  test("added and completed dates, seeding time, the seeding time limit and the 30 s save follow the injected clock", async () => {
    const time = new FakeTime();
    const startSec = time.epochStartMs / 1000;
    const dir = await tempDirForTest("ripple-daemon-");
    const fixture = makeTorrentFixture({ name: "kept", pieceLength: 16384, data: patternBytes(40_000, 3) });
    await writeFixtureFiles(fixture, join(dir, "downloads"));
    const s = await startDaemon({ dir, clock: time });
    expect(time.nextDelayMs).toBe(30_000); // the save interval, on the clock given

    time.advance(5_000);
    // The data is already there: the check finds every piece and it seeds, until one minute of seeding.
    await s.qbt.addTorrent(fixture.torrentBytes as Uint8Array<ArrayBuffer>, { ratioLimit: "-1", seedingTimeLimit: "1" } as never);
    const hash = fixture.meta.infoHashHex;
    const torrent = s.daemon.meta(hash).torrent!;
    await finished(torrent);
    const row = async () => (await s.qbt.listTorrents({ hashes: hash }))[0]!;
    expect(await row()).toMatchObject({ added_on: startSec + 5, completion_on: startSec + 5, seeding_time: 0, progress: 1 });

    // At 30 s on the clock daemon.json is saved with the 25 s seeded so far.
    time.advance(25_000);
    const saved = async () => (JSON.parse(await readFile(join(dir, "state", "daemon.json"), "utf8")) as { torrents: { seedingTimeSec: number }[] }).torrents[0]?.seedingTimeSec;
    await waitFor(async () => (await saved()) === 25, { what: "daemon.json saved at 30 s", timeoutMs: 10_000, logs: () => "" });

    // A limit is looked at on the torrent's progress ticks (each one fired by the fake clock): just short
    // of a minute it still seeds...
    let ticked = torrent.once("progress");
    time.advance(34_999);
    await ticked;
    expect(await row()).toMatchObject({ seeding_time: 59, seeding_time_limit: 1 });
    expect(["uploading", "stalledUP"]).toContain(String((await row()).state));
    // ...and at a minute it stops.
    ticked = torrent.once("progress");
    time.advance(1);
    await ticked;
    expect(await row()).toMatchObject({ state: "stoppedUP", seeding_time: 60 });
  });
});
