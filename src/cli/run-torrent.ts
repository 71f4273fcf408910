// Runs one torrent for `download` and `seed`: a Client, output (live line, log lines or JSON events),
// signals, and the rule for when to stop (download complete, seed ratio or time reached, a signal).
// Shell: writes to stdout/stderr and sets process.exitCode.

import { Client, type AddTorrentOptions } from "../client.ts";
import { parseFileNumbers, type Magnet } from "../metainfo/index.ts";
import type { Torrent, TorrentStats } from "../swarm/index.ts";
import { RippleError, createLogger, type Clock, type Logger } from "../util/index.ts";
import { EXIT } from "./exit-codes.ts";
import { formatBytes, formatDuration, formatRate } from "./format.ts";
import { loadTorrentSource, type TorrentSource } from "./load-torrent.ts";
import { magnetPhase } from "./magnet-phase.ts";
import { emitJson, reportProgress, statsJson, type OutputMode } from "./progress.ts";
import { onStopSignal, type StopSignal } from "./signals.ts";
import type { TorrentRunOptions } from "./torrent-args.ts";
import { stderrSink, writeErr } from "./output.ts";

/** When seeding ends: never (until a signal), or at a ratio or after a time, whichever comes first. */
export interface SeedPolicy {
  /** Give up (exit 7) when no piece data arrives for this long while downloading. */
  stallTimeoutMs?: number;
  /** Give up (exit 8) when the whole run takes longer than this. */
  timeoutMs?: number;
  /** A magnet's metadata phase: give up (exit 9) after this long; write the fetched .torrent here. */
  metadataTimeoutMs?: number;
  saveTorrentPath?: string;
  /** Seed after the download completes (`download --seed`) or from the start (`seed`). */
  seed: boolean;
  ratio?: number;
  timeMs?: number;
  /** `seed`: the data must be complete on disk; anything missing is a verification failure. */
  requireComplete?: boolean;
  /** `seed --super-seed`: BEP 16. */
  superSeed?: boolean;
}

type Outcome =
  | { kind: "done" }
  | { kind: "seeded"; reason: "ratio" | "time" }
  | { kind: "error"; error: RippleError }
  | { kind: "signal"; signal: StopSignal };

/** What the phases of one run share: output, the clock, the client, and the outcome that ends the run. */
interface Run {
  mode: OutputMode;
  log: Logger;
  clock: Clock;
  client: Client;
  /** Settles once, with whatever ends the run first: done, a seed limit, an error, a signal. */
  outcome: Promise<Outcome>;
  end: (outcome: Outcome) => void;
  offSignals: () => void;
}

/** Runs the torrent to its end; every timer and time read is on `clock` (the command's systemClock; a test's FakeTime). */
export async function runTorrent(o: TorrentRunOptions, policy: SeedPolicy, clock: Clock): Promise<void> {
  const { mode } = o;
  const log = createLogger(o.verbose ? 4 : mode === "quiet" || mode === "json" ? 0 : 1, stderrSink);
  const source = await loadTorrentSource(o.torrentPath);
  const add = addTorrentOptions(o, policy, source);
  const client = new Client({ ...o.client, log, clock });
  const started = clock.now();
  const { promise, resolve } = Promise.withResolvers<Outcome>();
  const offSignals = onStopSignal((signal) => resolve({ kind: "signal", signal }));
  const run: Run = { mode, log, clock, client, outcome: promise, end: resolve, offSignals };
  const torrent = source.kind === "magnet" ? await fetchMagnet(run, source.magnet, add, policy) : client.addTorrent(source.meta, add);
  if (torrent === undefined) return;
  announceStart(run, torrent, policy, o.outDir);
  watchTorrent(torrent, mode, log, clock);
  const stopProgress = reportProgress(torrent, mode, clock);

  torrent.on("error", ({ error }) => resolve({ kind: "error", error }));
  const seeding = followCompletion(run, torrent, policy, started);
  watchProgress(run, torrent, policy, seeding.isDone);
  const deadline = startDeadline(run, torrent, policy.timeoutMs);

  const outcome = await promise;
  clock.clearTimeout(deadline);
  seeding.stop();
  stopProgress();
  await client.close();
  offSignals();
  endRun(run, outcome, torrent.stats(), o.outDir);
}

/** The Client's options for this torrent: where, which peers and files, and how `seed` starts. */
function addTorrentOptions(o: TorrentRunOptions, policy: SeedPolicy, source: TorrentSource): AddTorrentOptions {
  // A magnet's file count is unknown until its metadata arrives: numbers past the end are dropped then.
  const fileCount = source.kind === "torrent" ? source.meta.files.length : Number.MAX_SAFE_INTEGER;
  const files = o.select !== undefined || o.exclude.length > 0
    ? { ...(o.select !== undefined && { select: parseFileNumbers(o.select, fileCount) }), exclude: o.exclude }
    : undefined;
  return {
    outDir: o.outDir,
    peers: o.peers,
    noTrackers: o.noTrackers,
    noWebSeeds: o.noWebSeeds,
    preallocate: o.preallocate,
    seedOnly: policy.requireComplete === true,
    superSeed: policy.superSeed === true,
    ...(files && { files }),
  };
}

/**
 * A magnet's metadata phase (BEP 9, --metadata-timeout, --save-torrent), then its torrent. Undefined when a
 * signal came first: the client is closed, the exit code set and the interruption reported.
 */
async function fetchMagnet(run: Run, magnet: Magnet, add: AddTorrentOptions, policy: SeedPolicy): Promise<Torrent | undefined> {
  const { mode, log, clock, client, offSignals } = run;
  let fetched: Torrent | undefined;
  try {
    fetched = await magnetPhase(client, magnet, add, {
      mode,
      log,
      interrupted: run.outcome,
      clock,
      ...(policy.metadataTimeoutMs !== undefined && { timeoutMs: policy.metadataTimeoutMs }),
      ...(policy.saveTorrentPath !== undefined && { saveTorrentPath: policy.saveTorrentPath }),
    });
  } finally {
    // No torrent (an error, or interrupted): the run ends here.
    if (fetched === undefined) {
      offSignals();
      await client.close();
    }
  }
  if (fetched !== undefined) return fetched;
  const outcome = await run.outcome;
  process.exitCode = outcome.kind === "signal" && outcome.signal === "SIGTERM" ? EXIT.TERMINATED : EXIT.INTERRUPTED;
  report(mode, clock, "interrupted", "stopped before the metadata arrived", undefined);
  return undefined;
}

/** The first line (or `metadata` event): what runs, where, and the listening port. */
function announceStart(run: Run, torrent: Torrent, policy: SeedPolicy, outDir: string): void {
  const { mode, clock, client } = run;
  const meta = torrent.meta;
  const verb = policy.requireComplete ? "seeding" : "downloading";
  if (mode === "json") {
    const count = meta.files.filter((f) => !f.isPad).length;
    emitJson("metadata", { name: meta.name, infoHash: meta.infoHashHex, totalBytes: meta.totalLength, pieceCount: meta.pieceCount, files: count, port: client.port }, clock);
  } else if (mode !== "quiet") {
    writeErr(`${verb} ${meta.name} (${formatBytes(meta.totalLength)}) in ${outDir}, listening on port ${client.port}\n`);
  }
}

/**
 * The seeding policy, on "done": report it, then end a plain download, or seed until --seed-time (timed
 * from completion), the ratio (see watchProgress) or a signal.
 */
function followCompletion(run: Run, torrent: Torrent, policy: SeedPolicy, started: number): { isDone: () => boolean; stop: () => void } {
  const { mode, clock, end } = run;
  const meta = torrent.meta;
  let doneAt: number | undefined;
  let seedTimer: unknown;
  torrent.on("done", (s) => {
    doneAt = clock.now();
    if (policy.seed && policy.timeMs !== undefined && seedTimer === undefined) seedTimer = clock.setTimeout(() => end({ kind: "seeded", reason: "time" }), policy.timeMs);
    if (policy.requireComplete) {
      report(mode, clock, "seeding", `verified ${meta.name}; seeding until stopped${seedLimits(policy)}`, s);
    } else {
      const seconds = (doneAt - started) / 1000;
      report(mode, clock, "done", `done: ${meta.name}, ${formatBytes(s.totalBytes)} in ${formatDuration(seconds)} (${formatRate(s.downloadedBytes / Math.max(seconds, 0.001))})`, s, seconds);
      if (policy.seed) report(mode, clock, "seeding", `seeding${seedLimits(policy)}`, s);
    }
    if (!policy.seed) end({ kind: "done" });
  });
  return { isDone: () => doneAt !== undefined, stop: () => clock.clearTimeout(seedTimer) };
}

/** While downloading, a stall (no new data for --stall-timeout) ends the run; once done, the seed ratio does. */
function watchProgress(run: Run, torrent: Torrent, policy: SeedPolicy, isDone: () => boolean): void {
  const { clock, end } = run;
  let lastDownloaded = -1;
  let lastProgressAt = clock.now();
  torrent.on("progress", (s) => {
    if (!isDone()) {
      const now = clock.now();
      if (s.downloadedBytes !== lastDownloaded) {
        lastDownloaded = s.downloadedBytes;
        lastProgressAt = now;
      } else if (policy.stallTimeoutMs !== undefined && now - lastProgressAt >= policy.stallTimeoutMs) {
        const message = `stalled: no data for ${formatDuration(policy.stallTimeoutMs / 1000)} at ${s.piecesDone} of ${s.pieceCount} pieces (${s.peers} peers connected, ${s.knownPeers} known)`;
        end({ kind: "error", error: new RippleError("STALLED", message) });
      }
      return;
    }
    if (policy.ratio !== undefined && s.uploadedBytes >= policy.ratio * s.totalBytes) end({ kind: "seeded", reason: "ratio" });
  });
}

/** --timeout: the whole run ends with TIMEOUT after `timeoutMs`; the timer to clear, if any. */
function startDeadline(run: Run, torrent: Torrent, timeoutMs: number | undefined): unknown {
  if (timeoutMs === undefined) return undefined;
  return run.clock.setTimeout(() => {
    const message = `timed out after ${formatDuration(timeoutMs / 1000)} (--timeout) at ${torrent.stats().piecesDone} of ${torrent.meta.pieceCount} pieces`;
    run.end({ kind: "error", error: new RippleError("TIMEOUT", message) });
  }, timeoutMs);
}

/** The run's last word: an error thrown for the command to report, or the last line and the exit code. */
function endRun(run: Run, outcome: Outcome, s: TorrentStats, outDir: string): void {
  const { mode, clock } = run;
  switch (outcome.kind) {
    case "error":
      if (outcome.error.code === "VERIFY") {
        const where = outcome.error.message.replace("the data is", `the data in ${outDir} is`);
        throw new RippleError("VERIFY", `${where} (use "ripple download" to fetch the rest)`, { cause: outcome.error });
      }
      throw outcome.error;
    case "signal":
      report(mode, clock, "interrupted", `stopped by ${outcome.signal}; verified pieces are kept on disk`, s);
      process.exitCode = outcome.signal === "SIGINT" ? EXIT.INTERRUPTED : EXIT.TERMINATED;
      return;
    case "seeded":
      report(mode, clock, "stopped", `seeded ${formatBytes(s.uploadedBytes)} (ratio ${ratio(s)}); ${outcome.reason} limit reached`, s);
      return;
    case "done":
      return;
  }
}

function watchTorrent(torrent: Torrent, mode: OutputMode, log: Logger, clock: Clock): void {
  torrent.on("warning", ({ message }) => (mode === "json" ? emitJson("warning", { message }, clock) : log.warn(message)));
  torrent.on("tracker", ({ url, peers }) => {
    if (mode === "json") emitJson("tracker", { url, peers }, clock);
    else log.debug(`tracker ${url}: ${peers} peers`);
  });
  torrent.on("webseed", (w) => {
    if (mode === "json") emitJson("webseed", { url: w.url, action: w.action, ...(w.reason ? { reason: w.reason } : {}), bytes: w.bytes }, clock);
    else if (w.action === "banned" || w.action === "failed") log.warn(`web seed ${w.url} ${w.action}: ${w.reason}`);
    else log.debug(`web seed ${w.url} ${w.action}${w.reason ? `: ${w.reason}` : ""}`);
  });
  torrent.on("peer", (p) => {
    if (mode === "json") emitJson("peer", { action: p.event, address: p.address, ...(p.reason ? { reason: p.reason } : {}), ...(p.encryption ? { encryption: p.encryption } : {}), ...(p.transport ? { transport: p.transport } : {}) }, clock);
    else if (p.event === "banned") log.warn(`banned peer ${p.address}: ${p.reason}`);
    else log.debug(`peer ${p.address} ${p.event}${p.reason ? `: ${p.reason}` : ""}`);
  });
}

function ratio(s: TorrentStats): string {
  return (s.uploadedBytes / Math.max(1, s.totalBytes)).toFixed(2);
}

function seedLimits(p: SeedPolicy): string {
  const limits = [p.ratio !== undefined ? `ratio ${p.ratio}` : "", p.timeMs !== undefined ? formatDuration(p.timeMs / 1000) : ""].filter(Boolean);
  return limits.length > 0 ? ` (or ${limits.join(" or ")})` : "";
}

function report(mode: OutputMode, clock: Clock, event: string, message: string, stats: TorrentStats | undefined, seconds?: number): void {
  if (mode === "json") emitJson(event, { ...(stats && statsJson(stats)), ...(seconds === undefined ? {} : { seconds }) }, clock);
  else if (mode !== "quiet") writeErr(message + "\n");
}
