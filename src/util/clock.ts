// Clock: the one place ripple reads time and sets timers, so pure code can take `now` and tests can drive
// every timeout of a shell with a fake clock (test/helpers/fake-time.ts). Shell: systemClock wraps the real ones.

/** Timer functions, injectable so tests can fire them without waiting. */
export interface Timers {
  /** Calls `fn` once after `delayMs`; the handle is only for clearTimeout. */
  setTimeout(fn: () => void, delayMs: number): unknown;
  /** Cancels a timer; undefined and handles already fired are ignored. */
  clearTimeout(handle: unknown): void;
}

export interface Clock extends Timers {
  /** Milliseconds, monotonic enough for rates and timeouts. */
  now(): number;
  /** Milliseconds since the Unix epoch: for dates that are stored or shown, never for intervals. */
  epochMs(): number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};

/** Seconds since the Unix epoch, whole: what bencoded dates and the daemon's APIs carry. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.epochMs() / 1000);
}

export interface RepeatOptions {
  /**
   * A background repeat does not keep the process alive by itself (a real timer is unref'd; fake timers
   * have nothing to unref).
   */
  readonly background?: boolean;
}

/**
 * Calls `fn` every `intervalMs` on `timers` until the returned stop function is called: setInterval
 * built from one-shot timers, so a fake clock drives it too. The next call is scheduled before `fn` runs,
 * so a throwing `fn` does not stop the repeat; stop() inside `fn` does.
 */
export function repeat(timers: Timers, intervalMs: number, fn: () => void, opts: RepeatOptions = {}): () => void {
  let handle: unknown;
  let stopped = false;
  const schedule = () => {
    handle = timers.setTimeout(() => {
      if (stopped) return;
      schedule();
      fn();
    }, intervalMs);
    if (opts.background) (handle as { unref?: () => void } | undefined)?.unref?.();
  };
  schedule();
  return () => {
    stopped = true;
    timers.clearTimeout(handle);
  };
}
