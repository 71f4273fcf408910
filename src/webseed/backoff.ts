// Exponential backoff for a failing BEP 19 web seed: how long to leave it alone. Pure; no I/O.

/** First pause after a failure, and the longest. */
export const WEB_SEED_BACKOFF_BASE_MS = 2_000;
export const WEB_SEED_BACKOFF_CAP_MS = 5 * 60_000;

/** Milliseconds to wait after `failures` failures in a row: base * 2^(n-1), capped; 0 when none. */
export function backoffDelayMs(failures: number, baseMs = WEB_SEED_BACKOFF_BASE_MS, capMs = WEB_SEED_BACKOFF_CAP_MS): number {
  if (failures <= 0) return 0;
  return Math.min(capMs, baseMs * 2 ** Math.min(failures - 1, 30));
}
