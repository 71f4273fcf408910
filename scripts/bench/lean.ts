// Benchmark parts for memory and CPU (issue "lean"): the Bun runtime's floor for a download (a compiled
// receiver that hashes and writes, the least a Bun program can do with the same bytes) and a ripple
// seeder serving one file to two leechers at once. Loopback only; shells over measure.ts.

import { join } from "node:path";
import { type ManagedProcess } from "../../test/helpers/process.ts";
import { cpuSecondsOf, measure, memoryKiB, type Sample } from "./measure.ts";

/**
 * Compiles tcp-copy.ts with `bun build --compile --minify`, as dist/ripple is built: its receiver, run
 * with `--sha1 PIECE`, is the runtime's floor for peak RSS and CPU of a download of the same bytes.
 */
export function compileFloor(outFile: string): string {
  const source = join(import.meta.dir, "tcp-copy.ts");
  const build = Bun.spawnSync([process.execPath, "build", "--compile", "--minify", source, "--outfile", outFile], { stdout: "ignore", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`compiling the floor receiver failed: ${build.stderr.toString().split("\n")[0]}`);
  return outFile;
}

/**
 * One run of two leechers downloading at once from `seeder` (started fresh for the row, so its VmHWM is
 * this run's). The sample is the seeder's: wall until both leechers are done, the seeder's CPU in that
 * time, its peak RSS (VmHWM) and the largest RssAnon polled.
 */
export async function seedToTwo(seeder: ManagedProcess, leechers: [string[], string[]], logPath: (name: string) => string): Promise<Sample> {
  let anon = 0;
  const poll = (): void => {
    const m = memoryKiB(seeder.pid);
    if (m) anon = Math.max(anon, m.anon);
  };
  const timer = setInterval(poll, 20);
  const cpuBefore = cpuSecondsOf(seeder.pid);
  const t0 = performance.now();
  try {
    await Promise.all(leechers.map((argv, i) => measure(argv, { name: `leecher ${i + 1} of 2`, logPath: logPath(`seed-two-leech-${i + 1}`), timeoutMs: 600_000 })));
    const seconds = (performance.now() - t0) / 1000;
    poll();
    const cpuAfter = cpuSecondsOf(seeder.pid);
    const hwm = memoryKiB(seeder.pid)?.hwm;
    return {
      seconds,
      cpuSeconds: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined,
      peakRssMiB: hwm === undefined ? undefined : hwm / 1024,
      peakAnonMiB: anon > 0 ? anon / 1024 : undefined,
    };
  } finally {
    clearInterval(timer);
  }
}
