// Progress output of a running download: a live line on a TTY, a log line every few seconds
// otherwise, or one JSON object per line with --json. Shell: writes to stdout/stderr.

import type { Torrent, TorrentStats } from "../swarm/index.ts";
import { repeat, type Clock } from "../util/index.ts";
import { formatBytes, formatDuration, formatRate } from "./format.ts";
import { clearLive, writeErr, writeLive, writeOut } from "./output.ts";

export type OutputMode = "tty" | "plain" | "json" | "quiet";

/** --quiet, --json and --verbose, as every long-running command takes them (verbose text may differ). */
export function outputArgs(verbose: string) {
  return {
    quiet: { type: "boolean", alias: "q", description: "Print only errors" },
    json: { type: "boolean", description: "Print newline-delimited JSON events on stdout" },
    verbose: { type: "boolean", alias: "V", description: verbose },
  } as const;
}

/** The output mode those options ask for; a live line only on a terminal. */
export function outputMode(args: { json?: unknown; quiet?: unknown }): OutputMode {
  return args.json ? "json" : args.quiet ? "quiet" : process.stderr.isTTY ? "tty" : "plain";
}

const TTY_INTERVAL_MS = 500;
const PLAIN_INTERVAL_MS = 5000;
const JSON_INTERVAL_MS = 1000;

/** Writes one JSON event line to stdout, stamped with the clock's wall time. */
export function emitJson(event: string, fields: Record<string, unknown>, clock: Clock): void {
  writeOut(JSON.stringify({ event, time: new Date(clock.epochMs()).toISOString(), ...fields }) + "\n");
}

export function progressLine(s: TorrentStats): string {
  if (s.piecesDone === s.pieceCount) {
    const ratio = (s.uploadedBytes / Math.max(1, s.totalBytes)).toFixed(2);
    return `seeding  up ${formatRate(s.uploadRate)}  uploaded ${formatBytes(s.uploadedBytes)} (ratio ${ratio})  peers ${s.peers}/${s.knownPeers}`;
  }
  const pct = s.totalBytes === 0 ? 100 : (s.verifiedBytes / s.totalBytes) * 100;
  const eta = s.downloadRate > 0 ? (s.totalBytes - s.verifiedBytes) / s.downloadRate : Infinity;
  return (
    `${pct.toFixed(1).padStart(5)}%  ${formatBytes(s.verifiedBytes)}/${formatBytes(s.totalBytes)}  ` +
    `down ${formatRate(s.downloadRate)}  up ${formatRate(s.uploadRate)}  ` +
    `peers ${s.peers}/${s.knownPeers}  eta ${formatDuration(eta)}`
  );
}

export function statsJson(s: TorrentStats): Record<string, unknown> {
  return {
    piecesDone: s.piecesDone,
    pieceCount: s.pieceCount,
    verifiedBytes: s.verifiedBytes,
    totalBytes: s.totalBytes,
    downloadedBytes: s.downloadedBytes,
    uploadedBytes: s.uploadedBytes,
    downloadRate: Math.round(s.downloadRate),
    uploadRate: Math.round(s.uploadRate),
    peers: s.peers,
    knownPeers: s.knownPeers,
  };
}

/** Starts reporting a torrent's progress on `clock`; returns a function that stops it (and clears the line). */
export function reportProgress(torrent: Torrent, mode: OutputMode, clock: Clock): () => void {
  if (mode === "quiet") return () => {};
  const interval = mode === "tty" ? TTY_INTERVAL_MS : mode === "json" ? JSON_INTERVAL_MS : PLAIN_INTERVAL_MS;
  // While the data on disk is hashed at start, the line (and JSON) report that instead of transfers.
  let checking: { piecesChecked: number; piecesToCheck: number } | undefined;
  torrent.on("checking", (c) => (checking = c));
  torrent.on("ready", () => {
    if (checking && mode === "json") emitJson("checking", checking, clock);
    checking = undefined;
  });
  const render = () => {
    const s = torrent.stats();
    if (checking) {
      const { piecesChecked, piecesToCheck } = checking;
      if (mode === "json") emitJson("checking", { piecesChecked, piecesToCheck }, clock);
      else writeLine(`checking data on disk: ${piecesChecked}/${piecesToCheck} pieces (${((piecesChecked / Math.max(1, piecesToCheck)) * 100).toFixed(0)}%)`);
      return;
    }
    if (mode === "json") emitJson("progress", statsJson(s), clock);
    else writeLine(progressLine(s));
  };
  const writeLine = (line: string) => (mode === "tty" ? writeLive(line) : writeErr(line + "\n"));
  const stop = repeat(clock, interval, render);
  return () => {
    stop();
    clearLive();
  };
}
