// Benchmark shell: runs child programs in their own process groups (test/helpers/process.ts) and measures
// them: wall seconds, CPU seconds from the child's own rusage, peak RSS polled from /proc. Loopback only.

import { readFileSync } from "node:fs";
import { type ManagedProcess, spawnManaged, waitFor } from "../../test/helpers/process.ts";

/** What one measured run of a program cost. */
export interface Sample {
  seconds: number;
  cpuSeconds?: number;
  /** The system (kernel) part of cpuSeconds. */
  sysSeconds?: number;
  /** VmHWM: the kernel's peak resident set (anonymous + file-backed + shmem), MiB. */
  peakRssMiB?: number;
  /** The largest RssAnon seen by the 20 ms poll, MiB (file-backed pages, e.g. libtorrent's mmap, excluded). */
  peakAnonMiB?: number;
  /** CPU seconds a long-lived peer (the seeder) spent during this run. */
  seederCpuSeconds?: number;
}

/** VmHWM and RssAnon of a live process in KiB, or undefined once it is gone. */
export function memoryKiB(pid: number): { hwm: number; anon: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return { hwm: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0), anon: Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0) };
  } catch {
    // The process exited between two polls; the last reading stands.
    return undefined;
  }
}

/** user + system CPU seconds of a live process so far (from /proc/PID/stat, USER_HZ = 100 on Linux). */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 overall.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    // Gone: the caller reports no seeder CPU for this run.
    return undefined;
  }
}

/** Options for {@link measure}. */
export interface MeasureOptions {
  name: string;
  /** Where stdout+stderr go (kept for the error message). */
  logPath: string;
  cwd?: string;
  timeoutMs: number;
  /** A long-lived process whose CPU during this run is reported as `seederCpuSeconds`. */
  seederPid?: number;
  /** Called once the child is spawned (e.g. to start a sender after a receiver). */
  started?: (p: ManagedProcess) => Promise<void> | void;
}

/**
 * Runs `argv` to completion and measures it. Peak RSS comes from polling /proc/PID/status every 20 ms:
 * ru_maxrss is useless here, since on exec Linux carries over the parent's high-water mark. The child runs
 * under `setpriv --pdeathsig` (same pid after exec), so rusage and /proc are the program's own.
 */
export async function measure(argv: string[], options: MeasureOptions): Promise<Sample> {
  const seederBefore = options.seederPid === undefined ? undefined : cpuSecondsOf(options.seederPid);
  const t0 = performance.now();
  const p = await spawnManaged(argv, { name: options.name, logPath: options.logPath, cwd: options.cwd, stopGraceMs: 2000 });
  let hwm = 0;
  let anon = 0;
  const poll = (): void => {
    const m = memoryKiB(p.pid);
    if (m) {
      hwm = Math.max(hwm, m.hwm);
      anon = Math.max(anon, m.anon);
    }
  };
  const timer = setInterval(poll, 20);
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    void p.stop();
  }, options.timeoutMs);
  try {
    await options.started?.(p);
    const code = await p.exited;
    const seconds = (performance.now() - t0) / 1000;
    if (timedOut) throw new Error(`${options.name} took longer than ${options.timeoutMs / 1000} s\n${p.logTail(15)}`);
    if (code !== 0) throw new Error(`${options.name} exited ${code}\n${p.logTail(15)}`);
    const usage = p.proc.resourceUsage();
    const seederAfter = options.seederPid === undefined ? undefined : cpuSecondsOf(options.seederPid);
    return {
      seconds,
      cpuSeconds: usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : undefined,
      sysSeconds: usage ? Number(usage.cpuTime.system) / 1e6 : undefined,
      peakRssMiB: hwm > 0 ? hwm / 1024 : undefined,
      peakAnonMiB: anon > 0 ? anon / 1024 : undefined,
      seederCpuSeconds: seederBefore !== undefined && seederAfter !== undefined ? seederAfter - seederBefore : undefined,
    };
  } finally {
    clearInterval(timer);
    clearTimeout(deadline);
    await p.stop();
  }
}

/** Runs `argv` to completion (untimed setup work); throws with the log tail unless it exits 0. */
export async function run(argv: string[], options: { name: string; logPath: string; cwd?: string; timeoutMs?: number }): Promise<string> {
  const p = await spawnManaged(argv, { name: options.name, logPath: options.logPath, cwd: options.cwd, stopGraceMs: 2000 });
  const deadline = setTimeout(() => void p.stop(), options.timeoutMs ?? 300_000);
  try {
    const code = await p.exited;
    if (code !== 0) throw new Error(`${options.name} exited ${code}\n${p.logTail(15)}`);
    return p.log();
  } finally {
    clearTimeout(deadline);
    await p.stop();
  }
}

/** Starts a long-lived peer and waits until its log contains `readyText`; stops it if it never does. */
export async function startUntil(
  argv: string[],
  options: { name: string; logPath: string; readyText: string; timeoutMs: number },
): Promise<ManagedProcess> {
  const p = await spawnManaged(argv, { name: options.name, logPath: options.logPath, stopGraceMs: 3000 });
  try {
    await waitFor(
      () => {
        if (p.hasExited) throw new Error(`${options.name} exited early (${p.proc.exitCode ?? p.proc.signalCode})\n${p.logTail(15)}`);
        return p.log().includes(options.readyText);
      },
      { what: `${options.name} to say ${options.readyText}`, timeoutMs: options.timeoutMs, intervalMs: 25, logs: () => p.logTail(15) },
    );
    return p;
  } catch (error) {
    await p.stop();
    throw error;
  }
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Per-field medians of several samples (fields absent from every sample stay absent). */
export function medianSample(samples: Sample[]): Sample {
  const pick = (f: keyof Sample): number | undefined => {
    const values = samples.map((s) => s[f]).filter((v): v is number => v !== undefined);
    return values.length > 0 ? median(values) : undefined;
  };
  return {
    seconds: median(samples.map((s) => s.seconds)),
    cpuSeconds: pick("cpuSeconds"),
    sysSeconds: pick("sysSeconds"),
    peakRssMiB: pick("peakRssMiB"),
    peakAnonMiB: pick("peakAnonMiB"),
    seederCpuSeconds: pick("seederCpuSeconds"),
  };
}
