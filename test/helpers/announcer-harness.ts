// Test helper: a tracker announcer wired to fake time, recorders for its warnings and peers, and fake
// trackers on 127.0.0.1, all closed by `closeAll()` (call it from afterEach). Shell: starts servers.

import { utf8, type Announcer, type PeerAddress } from "../../src/util/index.ts";
import { createTrackerAnnouncer, type TrackerAnnouncerOptions } from "../../src/tracker/index.ts";
import { startFakeTracker, type FakeTracker, type FakeTrackerReply } from "./fake-tracker.ts";
import { FakeTime, Recorder } from "./fake-time.ts";

export const infoHash = new Uint8Array([0x00, 0xff, 0x20, 0x25, ...Array(16).fill(0x41)]);
export const peerId = utf8("-RP0100-abcdefghijkl");
export const PEERS: PeerAddress[] = [
  { host: "127.0.0.1", port: 6001 },
  { host: "127.0.0.2", port: 6002 },
];

export const okReply = (extra: Partial<Extract<FakeTrackerReply, { kind: "peers" }>> = {}): FakeTrackerReply => ({
  kind: "peers",
  peers: PEERS,
  ...extra,
});

/** The harness's default stop bound (the announcer's own is STOP_ANNOUNCE_TIMEOUT_MS). */
const STOP_TIMEOUT_MS = 5000;

const cleanups: (() => Promise<unknown>)[] = [];

/** Stops announcers first (they may send `stopped`), then closes the trackers. */
export async function closeAll(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/** A fake tracker (default: two compact peers, interval 1800 s), closed by closeAll(). */
export async function tracker(reply?: FakeTracker["reply"]): Promise<FakeTracker> {
  const t = await startFakeTracker(reply ?? okReply());
  cleanups.push(() => t.close());
  return t;
}

/**
 * An announcer on fake time with a fixed tier order and no jitter; stopped by closeAll(). `time` is its
 * clock and schedule; `requestTime` bounds each request (HTTP timeouts, UDP retransmissions and timeouts),
 * so a test times a request out by advancing it without moving the schedule, and an answering tracker
 * never times out however slow the machine.
 */
export function announcer(tiers: string[][], opts: Partial<TrackerAnnouncerOptions> = {}) {
  const time = new FakeTime();
  const requestTime = new FakeTime();
  const warnings = new Recorder<string>();
  const peers = new Recorder<{ peers: PeerAddress[]; source: string }>();
  const stats = { uploaded: 0, downloaded: 0, left: 1000 };
  const a: Announcer = createTrackerAnnouncer({
    meta: { infoHash, announceTiers: tiers },
    peerId,
    port: 6881,
    hooks: { getStats: () => ({ ...stats }), onPeers: (p, source) => peers.push({ peers: p, source }) },
    onWarning: (m) => warnings.push(m),
    clock: time,
    timers: time,
    requestTimers: requestTime,
    shuffle: (items) => items,
    random: () => 0,
    timeoutMs: 10_000,
    stopTimeoutMs: STOP_TIMEOUT_MS,
    ...opts,
  });
  cleanups.push(() => {
    const stopped = a.stop();
    // A tracker that never answers `stopped` must not hold up the clean-up: the stop bound passes at once.
    requestTime.advance(opts.stopTimeoutMs ?? STOP_TIMEOUT_MS);
    return stopped;
  });
  return { a, time, requestTime, warnings, peers, stats };
}
