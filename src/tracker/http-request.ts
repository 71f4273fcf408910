// One HTTP announce round trip (BEP 3): fetch with a timeout and a bounded body, then parse the reply.
// Shell: network I/O through an injectable fetch, the timeout on injectable timers; every failure comes out
// as a TrackerError.

import { LIMITS, TrackerError, concatBytes, errorMessage, systemClock, type Timers } from "../util/index.ts";
import { parseAnnounceResponse, type AnnounceResponse } from "./http-codec.ts";

/** The part of `fetch` the announcer uses (injectable for tests). */
export type FetchFn = (url: string, init: { signal: AbortSignal; redirect?: "manual" }) => Promise<Response>;

/** Redirects followed per announce (to http(s) URLs only): trackers behind a proxy use one or two. */
export const MAX_REDIRECTS = 3;

/** A thousand dict peers fit in ~100 KiB; anything near this cap is not a tracker reply. */
export const MAX_REPLY_BYTES = LIMITS.trackerReplyBytes;

export interface AnnounceRequestOptions {
  readonly fetch: FetchFn;
  readonly timeoutMs: number;
  /** Runs the timeout; default the system clock. */
  readonly timers?: Timers;
  /** Aborts the request early (the announcer stopping). */
  readonly signal?: AbortSignal;
}

/** GETs a full announce URL and returns the parsed reply; non-2xx, network, timeout and parse failures throw. */
export async function requestAnnounce(url: string, opts: AnnounceRequestOptions): Promise<AnnounceResponse> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  if (opts.signal?.aborted) onOuterAbort();
  const timers = opts.timers ?? systemClock;
  const timer = timers.setTimeout(
    () => controller.abort(new TrackerError(`timed out after ${opts.timeoutMs} ms`)),
    opts.timeoutMs,
  );
  // Racing the abort bounds the time even if a fetch implementation ignores its signal.
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(asTrackerError(controller.signal.reason));
    if (controller.signal.aborted) fail();
    else controller.signal.addEventListener("abort", fail, { once: true });
  });
  try {
    return await Promise.race([fetchAndParse(url, opts.fetch, controller.signal), aborted]);
  } finally {
    timers.clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onOuterAbort);
  }
}

async function fetchAndParse(url: string, fetchFn: FetchFn, signal: AbortSignal): Promise<AnnounceResponse> {
  let response: Response;
  for (let hops = 0; ; hops++) {
    try {
      response = await fetchFn(url, { signal, redirect: "manual" });
    } catch (err) {
      throw asTrackerError(signal.aborted ? signal.reason : err);
    }
    const location = response.status >= 300 && response.status < 400 ? response.headers.get("location") : null;
    if (location === null) break;
    discardBody(response);
    if (hops >= MAX_REDIRECTS) throw new TrackerError(`more than ${MAX_REDIRECTS} redirects`);
    // A redirect may only lead to another HTTP(S) tracker, never to another scheme.
    const next = URL.canParse(location, url) ? new URL(location, url) : undefined;
    if (!next || (next.protocol !== "http:" && next.protocol !== "https:")) throw new TrackerError(`redirect to an unusable location: ${location.slice(0, 100)}`);
    url = next.href;
  }
  if (!response.ok) {
    discardBody(response);
    throw new TrackerError(`http status ${response.status}`);
  }
  return parseAnnounceResponse(await readBody(response, signal));
}

async function readBody(response: Response, signal: AbortSignal): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > MAX_REPLY_BYTES) {
    discardBody(response);
    throw new TrackerError(`reply too large: ${declared} bytes > ${MAX_REPLY_BYTES}`);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_REPLY_BYTES) {
        reader.cancel().catch(() => {}); // nothing more to learn from this tracker reply
        throw new TrackerError(`reply too large: more than ${MAX_REPLY_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    throw asTrackerError(signal.aborted ? signal.reason : err);
  }
  return concatBytes(chunks);
}

function discardBody(response: Response): void {
  // The body of a failed reply is not needed; cancelling frees the connection. Errors here change nothing.
  response.body?.cancel().catch(() => {});
}

function asTrackerError(err: unknown): TrackerError {
  if (err instanceof TrackerError) return err;
  return new TrackerError(`request failed: ${errorMessage(err)}`, { cause: err });
}
