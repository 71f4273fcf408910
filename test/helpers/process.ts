// Test helper: run third-party programs (aria2c, transmission-daemon, opentracker) as managed child
// processes: own process group, log file, temp dirs, guaranteed cleanup; plus condition polling.
// Test-only shell code; nothing in src/ imports it.

import { closeSync, openSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { makeTempDir } from "./temp-dir.ts";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** True when running under CI (`CI=true`): missing real-peer binaries fail instead of skipping. */
export const IS_CI = /^(1|true|yes)$/i.test(process.env.CI ?? "");

/** Debian package that provides each binary, for error messages. */
const PACKAGE_OF: Record<string, string> = {
  aria2c: "aria2",
  "transmission-daemon": "transmission-daemon",
  "transmission-remote": "transmission-cli",
  "transmission-create": "transmission-cli",
  "transmission-cli": "transmission-cli",
  opentracker: "opentracker",
  mktorrent: "mktorrent",
  chromium: "chromium",
};

/** Whether `name` is an executable on PATH. */
export function hasBinary(name: string): boolean {
  return Bun.which(name) !== null;
}

/**
 * For `test.skipIf(missingBinaries("aria2c", "opentracker"))`: true when one of the programs is absent
 * on a developer machine. Under CI it is always false, so the test runs and fails in
 * {@link requireBinary} instead of being skipped silently.
 */
export function missingBinaries(...names: string[]): boolean {
  if (IS_CI) return false;
  return names.some((name) => !hasBinary(name));
}

/** Returns the absolute path of `name`, or throws (naming the Debian package) when it is not on PATH. */
export function requireBinary(name: string): string {
  const path = Bun.which(name);
  if (path !== null) return path;
  const pkg = PACKAGE_OF[name] ?? name;
  const where = IS_CI ? "CI=true, so this test fails instead of skipping" : "test should have been skipped";
  throw new Error(`required program not found on PATH: ${name} (apt-get install ${pkg}; ${where})`);
}

// Temp directories live in temp-dir.ts; re-exported here, where the real-peer helpers and many tests import them.
export { makeTempDir, tempDir, type TempDir } from "./temp-dir.ts";

const live = new Set<ManagedProcess>();

/** Options for {@link spawnManaged}. */
export interface SpawnManagedOptions {
  /** Short name used in logs and errors, e.g. "aria2c seeder". */
  name: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Directories removed after the process has exited. */
  tempDirs?: string[];
  /** Where stdout+stderr go; default `<first temp dir>/process.log` or a fresh temp dir. */
  logPath?: string;
  /** SIGTERM grace period before SIGKILL in `stop()`; default 5000 ms. */
  stopGraceMs?: number;
  /** Start as this uid/gid (via setpriv, only when running as root), e.g. 65534 for nobody. */
  runAs?: { uid: number; gid: number };
}

/**
 * A child process in its own session/process group (setsid), with stdout+stderr appended to a log file.
 * `stop()` signals the whole group, waits for exit, then removes its temp dirs. If the test runner itself
 * dies, `setpriv --pdeathsig KILL` (util-linux) makes the kernel kill the child too.
 */
export class ManagedProcess implements AsyncDisposable {
  readonly name: string;
  readonly logPath: string;
  readonly proc: Subprocess<"ignore", number, number>;
  readonly tempDirs: string[];
  readonly stopGraceMs: number;
  private stopping: Promise<void> | undefined;

  constructor(name: string, proc: Subprocess<"ignore", number, number>, logPath: string, tempDirs: string[], stopGraceMs: number) {
    this.name = name;
    this.proc = proc;
    this.logPath = logPath;
    this.tempDirs = tempDirs;
    this.stopGraceMs = stopGraceMs;
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Resolves with the exit code (or 128+signal) when the process ends. */
  get exited(): Promise<number> {
    return this.proc.exited;
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /** The whole log so far (stdout and stderr interleaved). */
  log(): string {
    try {
      return readFileSync(this.logPath, "utf8");
    } catch {
      // The log file lives in a temp dir that stop() removes; after that there is nothing to show.
      return "";
    }
  }

  /** The last `lines` lines of the log. */
  logTail(lines = 30): string {
    const all = this.log().trimEnd().split("\n");
    return all.slice(-lines).join("\n");
  }

  /** Kills the process group (SIGTERM, then SIGKILL after the grace period), waits, removes temp dirs. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async doStop(): Promise<void> {
    try {
      if (!this.hasExited) {
        signalGroup(this.pid, "SIGTERM");
        const timer = setTimeout(() => signalGroup(this.pid, "SIGKILL"), this.stopGraceMs);
        await this.proc.exited;
        clearTimeout(timer);
      }
      // The leader is gone; anything it forked into the group goes too.
      signalGroup(this.pid, "SIGKILL");
    } finally {
      live.delete(this);
      await Promise.all(this.tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has no members left, which is what we want.
  }
}

/**
 * Starts `cmd` as a {@link ManagedProcess}: new session (its own process group), stdin closed,
 * stdout+stderr to a log file, killed by the kernel if this test process dies.
 */
export async function spawnManaged(cmd: string[], options: SpawnManagedOptions): Promise<ManagedProcess> {
  const tempDirs = [...(options.tempDirs ?? [])];
  let logPath = options.logPath;
  if (logPath === undefined) {
    const dir = tempDirs[0] ?? (await makeTempDir("ripple-log-"));
    if (tempDirs.length === 0) tempDirs.push(dir);
    logPath = join(dir, "process.log");
  }
  // setpriv changes the uid first and sets the parent-death signal last, right before exec: a uid change
  // after that point (e.g. a daemon dropping privileges itself) would clear it.
  const asUser = options.runAs && process.getuid?.() === 0
    ? [`--reuid=${options.runAs.uid}`, `--regid=${options.runAs.gid}`, "--clear-groups"]
    : [];
  const argv = hasBinary("setpriv") ? ["setpriv", ...asUser, "--pdeathsig", "KILL", "--", ...cmd] : cmd;
  const fd = openSync(logPath, "a");
  let proc: Subprocess<"ignore", number, number>;
  try {
    proc = Bun.spawn(argv, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  // Do not let a forgotten child keep the test runner alive; `exited` still resolves.
  proc.unref();
  const managed = new ManagedProcess(options.name, proc, logPath, tempDirs, options.stopGraceMs ?? 5000);
  live.add(managed);
  return managed;
}

/** Stops every managed process still running (for `afterEach`/`afterAll` as a safety net). */
export async function stopAllManaged(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

/** Log tails of every managed process still tracked, for error messages. */
export function liveLogTails(lines = 20): string {
  return [...live]
    .map((p) => `--- ${p.name} (pid ${p.pid}${p.hasExited ? `, exited ${p.proc.exitCode ?? p.proc.signalCode}` : ""}) log tail ---\n${p.logTail(lines)}`)
    .join("\n");
}

/**
 * Default bound of {@link waitFor}: generous, because CI runs the suite on a busy 2-core box where a
 * program that is fine can take many seconds to start; a bound is only there to turn a hang into an
 * error that names what was awaited. Prefer awaiting an event (a JSON line, a torrent event) to polling.
 */
export const DEFAULT_WAIT_MS = 30_000;

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** What is awaited, for the error: `timed out waiting for <what>`. */
  what: string;
  /** Default {@link DEFAULT_WAIT_MS}. */
  timeoutMs?: number;
  /** Poll interval; default 50 ms. */
  intervalMs?: number;
  /** Extra diagnostics appended to the timeout error; default: log tails of all live managed processes. */
  logs?: () => string;
}

/**
 * Polls `cond` until it returns true; throws `timed out waiting for <what> after N ms` plus the
 * process log tails. An exception thrown by `cond` propagates at once (fail fast, e.g. "seeder exited").
 */
export async function waitFor(cond: () => boolean | Promise<boolean>, options: WaitForOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (performance.now() >= deadline) {
      const logs = (options.logs ?? liveLogTails)();
      throw new Error(`timed out waiting for ${options.what} after ${timeoutMs} ms${logs ? `\n${logs}` : ""}`);
    }
    await Bun.sleep(intervalMs);
  }
}

/**
 * Awaits `event` (a process's `exited`, say) rather than polling for it; past the timeout, throws the
 * same `timed out waiting for <what>` error as waitFor, with the log tails.
 */
export async function waitForEvent<T>(event: Promise<T>, options: Omit<WaitForOptions, "intervalMs">): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const logs = (options.logs ?? liveLogTails)();
      reject(new Error(`timed out waiting for ${options.what} after ${timeoutMs} ms${logs ? `\n${logs}` : ""}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([event, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
