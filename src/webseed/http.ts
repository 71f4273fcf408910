// Shell: one BEP 19 HTTP Range request with Bun's fetch (which keeps connections alive), its answer
// checked (206, Content-Range, exact length, at most 3 redirects) and its body streamed to a sink; the idle
// timeout on injectable timers.

import { WebSeedError, errorMessage, systemClock, type Timers } from "../util/index.ts";
import { contentRangeProblem, rangeHeader } from "./ranges.ts";

/** Redirect hops followed per request, as for trackers. */
export const MAX_WEB_SEED_REDIRECTS = 3;
/** A request with no byte arriving for this long is abandoned. */
export const WEB_SEED_IDLE_TIMEOUT_MS = 30_000;

export interface RangeRequest {
  readonly url: string;
  readonly fileOffset: number;
  readonly lengthBytes: number;
  /** Consecutive chunks of the body; `offset` counts from the range's first byte. */
  onData(offset: number, bytes: Uint8Array): void;
  /** Aborts the request (the torrent stopped); fetchRange then rejects with the abort reason. */
  readonly signal: AbortSignal;
  readonly idleTimeoutMs?: number;
  /** Runs the idle timeout; default the system clock. */
  readonly timers?: Timers;
}

/** Fetches bytes [fileOffset, fileOffset + lengthBytes) of `url`; rejects with a WebSeedError on any problem. */
export async function fetchRange(req: RangeRequest): Promise<void> {
  const idle = new AbortController();
  const signal = AbortSignal.any([req.signal, idle.signal]);
  const idleMs = req.idleTimeoutMs ?? WEB_SEED_IDLE_TIMEOUT_MS;
  const timers = req.timers ?? systemClock;
  let timer = timers.setTimeout(() => idle.abort(), idleMs);
  const touch = () => {
    timers.clearTimeout(timer);
    timer = timers.setTimeout(() => idle.abort(), idleMs);
  };
  const where = `bytes ${req.fileOffset}-${req.fileOffset + req.lengthBytes - 1} of ${req.url}`;
  const fail = (err: unknown): never => {
    if (req.signal.aborted) throw req.signal.reason;
    if (err instanceof WebSeedError) throw err;
    if (idle.signal.aborted) throw new WebSeedError("timeout", `no data for ${idleMs / 1000} s: ${where}`);
    throw new WebSeedError("network", `${errorMessage(err)}: ${where}`, { cause: err });
  };
  try {
    const res = await open(req.url, rangeHeader(req.fileOffset, req.lengthBytes), signal, where).catch(fail);
    touch();
    const problem = contentRangeProblem(res.headers.get("content-range"), req.fileOffset, req.lengthBytes);
    if (problem) {
      await res.body?.cancel().catch(() => undefined);
      throw new WebSeedError("length", `${problem}: ${where}`);
    }
    const reader = res.body?.getReader();
    let offset = 0;
    if (reader) {
      try {
        for (;;) {
          const { done, value } = await reader.read().catch(fail);
          if (done) break;
          touch();
          if (offset + value.length > req.lengthBytes) throw new WebSeedError("length", `body longer than the ${req.lengthBytes} bytes asked: ${where}`);
          req.onData(offset, value);
          offset += value.length;
        }
      } finally {
        // A body left unread (an error above) must not hold the connection.
        if (offset < req.lengthBytes) await reader.cancel().catch(() => undefined);
      }
    }
    if (offset !== req.lengthBytes) throw new WebSeedError("length", `body ended after ${offset} of ${req.lengthBytes} bytes: ${where}`);
  } catch (err) {
    fail(err);
  } finally {
    timers.clearTimeout(timer);
  }
}

/** Sends the request, following up to MAX_WEB_SEED_REDIRECTS http(s) redirects; resolves with a 206. */
async function open(start: string, range: string, signal: AbortSignal, where: string): Promise<Response> {
  let url = start;
  for (let hop = 0; ; hop++) {
    // identity: a compressed body would not be the bytes of the range.
    const res = await fetch(url, { headers: { Range: range, "Accept-Encoding": "identity" }, redirect: "manual", signal });
    if (res.status === 206) return res;
    await res.body?.cancel().catch(() => undefined);
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location !== null) {
      if (hop >= MAX_WEB_SEED_REDIRECTS) throw new WebSeedError("redirects", `more than ${MAX_WEB_SEED_REDIRECTS} redirects: ${where}`);
      const next = new URL(location, url);
      if (next.protocol !== "http:" && next.protocol !== "https:") throw new WebSeedError("redirects", `redirect to ${next.protocol} refused: ${where}`);
      url = next.href;
      continue;
    }
    if (res.status === 200) throw new WebSeedError("no-range", `expected 206 partial content, got 200: the server ignores Range requests: ${where}`);
    if (res.status === 404 || res.status === 410) throw new WebSeedError("missing", `HTTP ${res.status}: ${where}`);
    throw new WebSeedError("status", `expected 206 partial content, got HTTP ${res.status}: ${where}`);
  }
}
