// The fleet benchmark's machinery as a test: a small fleet in the network lab (scripts/netlab/), 4 hosts
// pulling 16 MiB from one origin over capped links with delay and loss, through ripple's tracker. Each
// host's file must equal the origin's. Needs root and iproute2/iptables: skipped on a developer machine
// without them, failing under CI=true. Traffic stays in the lab's own namespaces (198.18.0.0/15).

import { expect, test } from "bun:test";
import { fleetSummary, runFleet } from "../../scripts/netlab/fleet.ts";
import { labUnavailable } from "../../scripts/netlab/lab.ts";
import { rippleBinary } from "../helpers/binary.ts";
import { IS_CI, tempDir } from "../helpers/process.ts";

const unavailable = labUnavailable({ needEmulator: true });

test.skipIf(unavailable !== undefined && !IS_CI)(
  "a fleet of 4 hosts behind capped, delayed, lossy links: every host ends with the origin's bytes",
  async () => {
    if (unavailable) throw new Error(`${unavailable} (CI=true, so this test fails instead of skipping)`);
    await using work = await tempDir("ripple-fleet-test-");
    const result = await runFleet({
      hosts: 4,
      rateBytes: 16 * 2 ** 20,
      delayMs: 4,
      loss: 0.001,
      payloadBytes: 16 * 2 ** 20,
      ripple: await rippleBinary(),
      tracker: "ripple",
      workDir: work.path,
      timeoutMs: 150_000,
    });
    expect(result.hosts.map((h) => [h.name, h.bytesMatch])).toEqual([
      ["h1", true],
      ["h2", true],
      ["h3", true],
      ["h4", true],
    ]);
    // The origin's graceful stop reported its upload: at least one copy went out (nobody else had the data).
    expect(fleetSummary(result).originCopies).toBeGreaterThanOrEqual(1);
  },
  240_000,
);
