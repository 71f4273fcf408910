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
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};
