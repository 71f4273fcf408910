// Hashing rows on the cached single file: `ripple verify` (recheck) and `ripple create` against sha1sum,
// Bun.CryptoHasher in this process (the raw speed a recheck can reach) and mktorrent.

import { closeSync, openSync, readSync } from "node:fs";
import { rm } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { type Bench, MiB, note, type Payloads, tryPush } from "./context.ts";
import { measure, type Sample } from "./measure.ts";
import { rateMiBs, type Row, summary } from "./report.ts";

export interface HashRows {
  sha1sum: Row;
  hasher: Row;
  verify: Row;
  create: Row;
  mktorrent: Row;
}

/** SHA-1 of a file in this process: 4 MiB reads into Bun.CryptoHasher, the raw speed a recheck can reach. */
function hashInProcess(path: string): Sample {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const fd = openSync(path, "r");
  const buffer = new Uint8Array(4 * MiB);
  const hasher = new Bun.CryptoHasher("sha1");
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hasher.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  hasher.digest();
  const cpu = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, sysSeconds: cpu.system / 1e6 };
}

/** `runs` rounds of recheck and create and their references on the single file. */
export async function hashingRows(b: Bench, p: Payloads): Promise<HashRows> {
  note("hashing: recheck and create...");
  const { ripple, sizeBytes, tools, logPath } = b;
  const { singleFile, announce } = p;
  const rows: HashRows = {
    sha1sum: { what: "sha1sum", bytes: sizeBytes, samples: [] },
    hasher: { what: "Bun.CryptoHasher SHA-1 (in process)", bytes: sizeBytes, samples: [] },
    verify: { what: "`ripple verify` (recheck)", bytes: sizeBytes, samples: [] },
    create: { what: "`ripple create`, 256 KiB pieces", bytes: sizeBytes, samples: [] },
    mktorrent: { what: `mktorrent -l 18 (${cpus().length} threads)`, bytes: sizeBytes, samples: [] },
  };
  const { sha1sum, hasher, verify, create, mktorrent } = rows;
  const scratch = join(b.work, "scratch.torrent");
  for (let r = 0; r < b.runs; r++) {
    if (tools.sha1sum) await tryPush(sha1sum, () => measure(["sha1sum", singleFile], { name: "sha1sum", logPath: logPath("sha1sum"), timeoutMs: 300_000 }));
    await tryPush(hasher, async () => hashInProcess(singleFile));
    await tryPush(verify, () => measure([ripple, "verify", p.single.path, "-o", b.seedDir, "--quiet"], { name: "ripple verify", logPath: logPath("verify"), timeoutMs: 300_000 }));
    await tryPush(create, () =>
      measure([ripple, "create", singleFile, "-o", scratch, "--piece-length", "256K", "--no-date", "--force", "--quiet", "-t", announce], { name: "ripple create", logPath: logPath("create"), timeoutMs: 300_000 }),
    );
    if (tools.mktorrent) {
      await rm(scratch, { force: true }); // mktorrent refuses to overwrite
      await tryPush(mktorrent, () => measure(["mktorrent", "-d", "-l", "18", "-a", announce, "-o", scratch, singleFile], { name: "mktorrent", logPath: logPath("mktorrent"), timeoutMs: 300_000 }));
    }
  }
  return rows;
}

/** Ratio column: each row's speed against CryptoHasher's, and create's against mktorrent's. */
export function hashingRatios(rows: HashRows): void {
  const { sha1sum, hasher, verify, create, mktorrent } = rows;
  const hashRate = rateMiBs(hasher);
  for (const r of [sha1sum, hasher, verify, create, mktorrent]) {
    const rate = rateMiBs(r);
    if (rate !== undefined && hashRate !== undefined) r.ratio = `${(rate / hashRate).toFixed(2)}x CryptoHasher`;
  }
  if (summary(create) && summary(mktorrent)) create.ratio += `, ${(summary(mktorrent)!.seconds / summary(create)!.seconds).toFixed(2)}x mktorrent's speed`;
}
