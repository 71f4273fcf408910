// Clock: the one place ripple reads time, so pure code can take `now` and tests can fake it.

export interface Clock {
  /** Milliseconds, monotonic enough for rates and timeouts. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };
