// uTP (BEP 29) across a lab link with 50 ms of round trip and 1% loss each way (scripts/netlab/): a
// ripple downloader that dials uTP only gets 4 MiB from a ripple seeder, byte-identical. Needs root and
// iproute2/iptables: skipped on a developer machine without them, failing under CI=true. Traffic stays
// in the lab's own namespaces (198.18.0.0/15).

import { expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { NetLab, labUnavailable } from "../../scripts/netlab/lab.ts";
import { preparePayload, startSeeder, timedDownload } from "../../scripts/netlab/transfer.ts";
import { rippleBinary } from "../helpers/binary.ts";
import { IS_CI, tempDir } from "../helpers/process.ts";

const unavailable = labUnavailable({ needEmulator: true });

test.skipIf(unavailable !== undefined && !IS_CI)(
  "4 MiB over uTP across 50 ms RTT and 1% loss: byte-identical",
  async () => {
    if (unavailable) throw new Error(`${unavailable} (CI=true, so this test fails instead of skipping)`);
    await using work = await tempDir("ripple-utp-lab-");
    const logs = join(work.path, "logs");
    await mkdir(logs, { recursive: true });
    const ripple = await rippleBinary();
    const payload = await preparePayload(ripple, work.path, 4 * 2 ** 20);
    await using lab = await NetLab.create([{ name: "seed" }, { name: "dl", delayMs: 50, loss: 0.01 }]);
    const seeder = await startSeeder(lab, lab.host("seed"), ripple, payload, logs);
    try {
      const r = await timedDownload(lab, lab.host("dl"), lab.host("seed").ip, ripple, payload, { transport: "utp", work: work.path, logs, tag: "utp", timeoutMs: 150_000 });
      expect(r.bytesMatch).toBe(true);
    } finally {
      await seeder.stop();
    }
  },
  240_000,
);
