// Seeding to two: a ripple seeder serving the single file to two leechers at once (libtorrent's when it
// is installed), a fresh seeder per run so its VmHWM is the run's. The row holds the seeder's figures.

import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "../../test/helpers/ports.ts";
import { type ManagedProcess } from "../../test/helpers/process.ts";
import { type ClientName, leecherArgv, startSeeder } from "./clients.ts";
import { type Bench, bytesUnder, errorLine, note, type Payloads, tryPush } from "./context.ts";
import { seedToTwo } from "./lean.ts";
import { type Row } from "./report.ts";

export async function seedTwoRow(b: Bench, p: Payloads): Promise<Row> {
  const { single } = p;
  const twoClient: ClientName = b.tools.libtorrent ? "libtorrent" : "ripple";
  const row: Row = { what: `ripple seeding, ${single.label} to two ${twoClient} leechers at once (seeder's figures)`, seeder: "ripple seeder", bytes: 2 * b.sizeBytes, samples: [] };
  note(`seeding to two ${twoClient} leechers at once...`);
  for (let r = 0; r < b.runs; r++) {
    const dirs = [join(b.work, "out", "two-1"), join(b.work, "out", "two-2")];
    let seeder: ManagedProcess | undefined;
    try {
      seeder = await startSeeder("ripple", b.ripple, single.path, b.seedDir, b.logPath("ripple-seed-two"), { port: await freePort() });
      const argvs = (await Promise.all(dirs.map(async (d) => (await mkdir(d, { recursive: true }), leecherArgv(twoClient, b.ripple, single.path, d, await freePort()))))) as [string[], string[]];
      await tryPush(row, async () => {
        const sample = await seedToTwo(seeder!, argvs, b.logPath);
        for (const d of dirs) if ((await bytesUnder(join(d, single.name))) !== single.bytes) throw new Error(`a leecher left ${d} incomplete`);
        return sample;
      });
    } catch (error) {
      row.error = errorLine(error);
    } finally {
      await seeder?.stop();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    }
  }
  return row;
}
