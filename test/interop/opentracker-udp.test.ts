// ripple's tracker announcer against a real opentracker over UDP (BEP 15) on 127.0.0.1: two announcers with
// different peer ids and ports find each other, a UDP scrape counts them, and `stopped` over UDP removes one.

import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes, systemClock, toHex } from "../../src/util/index.ts";
import { scrapeUdp } from "../../src/tracker/index.ts";
import { announcer, closeAll, peerId } from "../helpers/announcer-harness.ts";
import { missingBinaries, startOpentracker, stopAllManaged } from "../helpers/real-peers.ts";

afterEach(async () => {
  await closeAll(); // announcers first: they send `stopped` to the tracker
  await stopAllManaged();
});

describe("opentracker over UDP", () => {
  test.skipIf(missingBinaries("opentracker"))("two announcers find each other; scrape counts them; stopped removes one", async () => {
    await using tracker = await startOpentracker();
    const infoHash = randomBytes(20);
    await tracker.allow(toHex(infoHash));
    const meta = { infoHash, announceTiers: [[tracker.udpUrl]] };

    // A real tracker over real UDP: retransmissions and timeouts on real timers, as in use.
    const first = announcer([[tracker.udpUrl]], { meta, port: 6881, requestTimers: systemClock });
    const firstDone = first.time.nextTimer(); // set once the first round ends, whatever its outcome
    first.a.start();
    await firstDone;
    expect(first.warnings.items).toEqual([]); // a failed round would have warned

    const otherId = peerId.map((b, i) => (i === 19 ? 0x5a : b));
    const second = announcer([[tracker.udpUrl]], { meta, port: 6882, peerId: otherId, requestTimers: systemClock });
    second.a.start();
    const [got] = await second.peers.waitFor(1);
    expect(got!.source).toBe(tracker.udpUrl);
    expect(got!.peers).toContainEqual({ host: "127.0.0.1", port: 6881 }); // opentracker may list the asker too
    expect(second.warnings.items).toEqual([]);

    const [counts] = await scrapeUdp(tracker.udpUrl, [infoHash], { timeoutMs: 5000, retryBaseMs: 1000 });
    expect(counts).toMatchObject({ seeders: 0, leechers: 2 });

    await first.a.stop();
    expect(await tracker.peersOf(toHex(infoHash))).toEqual([{ host: "127.0.0.1", port: 6882 }]);
  });
});
