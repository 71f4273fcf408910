// `ripple create <path>`: make a .torrent from a file or directory (BEP 3; BEP 12 tiers, BEP 19 web
// seeds, BEP 27 private; BEP 52 v2 or hybrid with --v2 / --hybrid). Shell: walks and hashes through
// storage, writes the file, reports progress.

import { defineCommand, type ArgsDef, type ParsedArgs } from "citty";
import { writeFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import {
  autoPieceLength,
  checkTorrentName,
  encodeTorrent,
  encodeTorrentV2,
  parseMetainfo,
  parsePieceLength,
  parseTrackerTiers,
  parseWebSeeds,
  v2FileOrder,
  type Metainfo,
} from "../../metainfo/index.ts";
import { hashSourceFiles, hashSourceFilesV2, listSourceFiles, type SourceTree } from "../../storage/index.ts";
import { RippleError, StorageError, createSha1Pool, epochSeconds, errorMessage, systemClock, type Clock, type Sha1Pool } from "../../util/index.ts";
import { EXIT } from "../exit-codes.ts";
import { formatBytes, formatRate } from "../format.ts";
import { repeatedOption } from "../options.ts";
import { emitJson, outputArgs, outputMode, type OutputMode } from "../progress.ts";
import { writeErr, writeOut } from "../output.ts";
import { onStopSignal } from "../signals.ts";

const TTY_INTERVAL_MS = 200;
const JSON_INTERVAL_MS = 1000;

const ARGS = {
  path: { type: "positional", description: "File or directory to share", required: true },
  output: { type: "string", alias: "o", description: "Where to write the .torrent (default ./<name>.torrent)" },
  tracker: { type: "string", alias: "t", description: "Tracker URL, http(s):// or udp:// (repeatable: one tier each; commas join URLs into one tier)" },
  "piece-length": { type: "string", description: "auto, or a power of two from 16K to 256M such as 256K or 1M (default auto: at most 2048 pieces)" },
  private: { type: "boolean", alias: "p", description: "Set the private flag (BEP 27): trackers only, no DHT or peer exchange" },
  "web-seed": { type: "string", alias: "w", description: "Web seed URL, http(s):// (BEP 19; repeatable)" },
  comment: { type: "string", alias: "c", description: "Comment stored in the .torrent" },
  date: { type: "boolean", default: true, description: "Write the creation date (--no-date leaves it out)" },
  name: { type: "string", alias: "n", description: "Torrent name (default: the base name of <path>)" },
  v2: { type: "boolean", description: "Make a BitTorrent v2-only torrent (BEP 52: per-file SHA-256 merkle trees)" },
  hybrid: { type: "boolean", description: "Make a hybrid v1+v2 torrent (BEP 52; pad files align each file to a piece), for both swarms" },
  force: { type: "boolean", alias: "f", description: "Overwrite the output file if it exists" },
  ...outputArgs("Show stacks on errors"),
} satisfies ArgsDef;

export const createCommand = defineCommand({
  meta: { name: "create", description: "Make a .torrent file from a file or directory" },
  args: ARGS,
  async run({ args, rawArgs }) {
    const clock = systemClock;
    const mode = outputMode(args);
    const plan = await planTorrent(args, rawArgs);
    // v1 pieces are hashed on workers; they start while the files are listed (an idle pool keeps no process alive).
    const pool = plan.version === "v1" ? createSha1Pool() : undefined;
    pool?.start();
    const tree = await listFilesToShare(args.path, plan.outPath, pool, mode, clock);
    const pieceLength = plan.pieceOption === "auto" ? autoPieceLength(tree.totalBytes) : plan.pieceOption;
    const progress = progressReporter(mode, tree.totalBytes, clock);
    const torrentBytes = await hashUntilStopped({ plan, tree, pieceLength, pool }, progress, mode, clock);
    if (torrentBytes === undefined) return;

    // Reading our own output back is cheap and proves it is a torrent ripple (and so others) accepts.
    const meta = parseMetainfo(torrentBytes);
    await writeTorrentFile(plan, torrentBytes);
    reportCreated(plan, tree, meta, pieceLength, progress.seconds(), mode, clock);
  },
});

type MetaVersion = "v1" | "v2" | "hybrid";

/** What the command line asks for, checked before any file is read. */
interface CreatePlan {
  version: MetaVersion;
  pieceOption: number | "auto";
  trackerTiers: string[][];
  webSeeds: string[];
  name: string;
  /** Where the .torrent goes, and that path as the user gave it (or its default), for messages. */
  outPath: string;
  shownPath: string;
  force: boolean;
  private: boolean | undefined;
  comment: string | undefined;
  date: boolean;
}

/** Validates the options (USAGE errors, in the order given), and refuses an existing output without --force. */
async function planTorrent(args: ParsedArgs<typeof ARGS>, rawArgs: readonly string[]): Promise<CreatePlan> {
  if (args.v2 && args.hybrid) throw new RippleError("USAGE", "--v2 and --hybrid exclude each other: --hybrid already includes v2");
  const version = args.hybrid ? "hybrid" : args.v2 ? "v2" : "v1";
  const pieceOption = parsePieceLength(args["piece-length"] ?? "auto");
  const trackerTiers = parseTrackerTiers(repeatedOption(ARGS, rawArgs, "tracker"));
  const webSeeds = parseWebSeeds(repeatedOption(ARGS, rawArgs, "web-seed"));
  const name = torrentName(args.path, args.name);
  const shownPath = args.output ?? `${name}.torrent`;
  const outPath = resolve(shownPath);
  if (!args.force && (await Bun.file(outPath).exists())) throw outputExists(shownPath);
  return { version, pieceOption, trackerTiers, webSeeds, name, outPath, shownPath, force: args.force === true, private: args.private, comment: args.comment, date: args.date };
}

/** The files under `path` (never the output itself), warning about what is skipped; at least one byte, else USAGE. Closes the pool on error. */
async function listFilesToShare(path: string, outPath: string, pool: Sha1Pool | undefined, mode: OutputMode, clock: Clock): Promise<SourceTree> {
  const tree = await listSourceFiles(path, { exclude: outPath }).catch((err: unknown) => {
    pool?.close();
    throw err;
  });
  for (const skipped of tree.skipped) warn(mode, clock, `skipped ${skipped}: not a regular file or a directory`);
  if (tree.totalBytes === 0) {
    pool?.close();
    const what = tree.files.length === 0 ? "no files" : "only empty files";
    throw new RippleError("USAGE", `nothing to share: ${path} holds ${what}, and a torrent needs at least one byte`);
  }
  return tree;
}

interface HashJob {
  plan: CreatePlan;
  tree: SourceTree;
  pieceLength: number;
  /** v1 only: the SHA-1 workers. */
  pool: Sha1Pool | undefined;
}

/**
 * Hashes the files and encodes the torrent, with live progress, until done or SIGINT/SIGTERM: then
 * undefined, reported and with the exit code set. Closes the pool either way.
 */
async function hashUntilStopped(job: HashJob, progress: ProgressReporter, mode: OutputMode, clock: Clock): Promise<Uint8Array | undefined> {
  const abort = new AbortController();
  let stoppedBy: string | undefined;
  const offSignals = onStopSignal((signal) => {
    stoppedBy = signal;
    abort.abort();
  });
  try {
    return await hashAndEncode(job, { onProgress: progress.update, signal: abort.signal }, clock);
  } catch (err) {
    if (!abort.signal.aborted) throw err;
    if (mode === "json") emitJson("interrupted", { signal: stoppedBy }, clock);
    else if (mode !== "quiet") writeErr(`stopped by ${stoppedBy}; no torrent written\n`);
    process.exitCode = stoppedBy === "SIGTERM" ? EXIT.TERMINATED : EXIT.INTERRUPTED;
    return undefined;
  } finally {
    job.pool?.close();
    offSignals();
    progress.stop();
  }
}

/** The pieces (v1: SHA-1 on the pool; v2 and hybrid: BEP 52 merkle trees), encoded as the .torrent's bytes. */
async function hashAndEncode(job: HashJob, hashing: { onProgress: (bytesHashed: number) => void; signal: AbortSignal }, clock: Clock): Promise<Uint8Array> {
  const { plan, tree, pieceLength, pool } = job;
  const { name } = plan;
  const extras = {
    trackerTiers: plan.trackerTiers,
    webSeeds: plan.webSeeds,
    comment: plan.comment,
    creationDate: plan.date ? epochSeconds(clock) : undefined,
  };
  if (plan.version === "v1") {
    const pieceHashes = await hashSourceFiles(tree.files, pieceLength, { ...hashing, pool });
    return encodeTorrent({ name, multiFile: tree.multiFile, files: tree.files, pieceLength, pieceHashes, private: plan.private, ...extras });
  }
  // BEP 52: the file tree is a dictionary, so files go in its (sorted) order, in v1 `files` too.
  const files = v2FileOrder(tree.files);
  const hashed = await hashSourceFilesV2(files, pieceLength, {
    hybrid: plan.version === "hybrid",
    multiFile: tree.multiFile,
    ...hashing,
  });
  return encodeTorrentV2({
    name,
    multiFile: tree.multiFile,
    files: hashed.files,
    pieceLength,
    ...(hashed.v1PieceHashes && { v1PieceHashes: hashed.v1PieceHashes }),
    private: plan.private,
    ...extras,
  });
}

/** Writes the .torrent; without --force it never overwrites, even a file that appeared while hashing. */
async function writeTorrentFile(plan: CreatePlan, torrentBytes: Uint8Array): Promise<void> {
  try {
    await writeFile(plan.outPath, torrentBytes, { flag: plan.force ? "w" : "wx" });
  } catch (err) {
    if ((err as { code?: string }).code === "EEXIST") throw outputExists(plan.shownPath);
    throw new StorageError(`cannot write ${plan.outPath}: ${writeReason(err)}`, { cause: err });
  }
}

/** The summary on stdout (or the `done` event): name, size, pieces, hashing time and the info hashes. */
function reportCreated(plan: CreatePlan, tree: SourceTree, meta: Metainfo, pieceLength: number, seconds: number, mode: OutputMode, clock: Clock): void {
  const { name, version } = plan;
  if (mode === "json") {
    emitJson("done", {
      infoHash: meta.infoHashHex,
      metaVersion: version,
      infoHashV2: meta.v2?.infoHashHex ?? null,
      path: plan.outPath,
      name,
      files: tree.files.length,
      pieceCount: meta.pieceCount,
      pieceLength,
      totalBytes: meta.totalLength,
      seconds,
    }, clock);
  } else if (mode !== "quiet") {
    writeOut(
      [
        `created ${plan.shownPath}`,
        `  name:      ${name} (${tree.files.length} file${tree.files.length === 1 ? "" : "s"}, ${formatBytes(meta.totalLength)})`,
        `  pieces:    ${meta.pieceCount} x ${formatBytes(pieceLength)}, hashed in ${seconds.toFixed(1)}s` +
          // A rate over a few milliseconds says nothing.
          (seconds >= 0.1 ? ` (${formatRate(meta.totalLength / seconds)})` : ""),
        ...(version === "v1" ? [`  info hash: ${meta.infoHashHex}`] : []),
        ...(version === "hybrid" ? [`  info hash v1: ${meta.infoHashHex}`] : []),
        ...(meta.v2 ? [`  info hash v2: ${meta.v2.infoHashHex}`] : []),
      ].join("\n") + "\n",
    );
  }
}

/** `--name`, or the base name of the path; either must be usable as one path segment. */
function torrentName(path: string, option: string | undefined): string {
  const name = option ?? basename(resolve(path));
  try {
    checkTorrentName(name);
  } catch (err) {
    const where = option === undefined ? `cannot name the torrent after ${path} (pass --name)` : "--name";
    throw new RippleError("USAGE", `${where}: ${errorMessage(err).replace(/^info\.name: /, "")}`, { cause: err });
  }
  return name;
}

const WRITE_REASONS: Record<string, string> = {
  ENOENT: "no such directory",
  ENOTDIR: "a parent is not a directory",
  EISDIR: "is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
};

function writeReason(err: unknown): string {
  const code = (err as { code?: string }).code;
  return (code && WRITE_REASONS[code]) ?? errorMessage(err);
}

function outputExists(shown: string): RippleError {
  return new RippleError("USAGE", `${shown} already exists; pass --force to overwrite it or -o to choose another file`);
}

function warn(mode: OutputMode, clock: Clock, message: string): void {
  if (mode === "json") emitJson("warning", { message }, clock);
  else if (mode !== "quiet") writeErr(`warning: ${message}\n`);
}

/** Hashing progress: a live line on a TTY, a JSON event a second with --json, nothing otherwise; timed on `clock`. */
function progressReporter(mode: OutputMode, totalBytes: number, clock: Clock) {
  const started = clock.now();
  const seconds = () => (clock.now() - started) / 1000;
  const interval = mode === "tty" ? TTY_INTERVAL_MS : JSON_INTERVAL_MS;
  let last = -Infinity;
  let lineLength = 0;
  return {
    seconds,
    update(bytesHashed: number): void {
      if (mode !== "tty" && mode !== "json") return;
      const now = clock.now();
      if (now - last < interval || bytesHashed === totalBytes) return;
      last = now;
      const rate = bytesHashed / Math.max(seconds(), 0.001);
      if (mode === "json") {
        emitJson("progress", { bytesHashed, totalBytes, bytesPerSecond: Math.round(rate) }, clock);
        return;
      }
      const pct = ((bytesHashed / totalBytes) * 100).toFixed(1).padStart(5);
      const line = `hashing ${pct}%  ${formatBytes(bytesHashed)}/${formatBytes(totalBytes)}  ${formatRate(rate)}`;
      writeErr("\r" + line + " ".repeat(Math.max(0, lineLength - line.length)));
      lineLength = line.length;
    },
    stop(): void {
      if (lineLength > 0) writeErr("\r" + " ".repeat(lineLength) + "\r");
      lineLength = 0;
    },
  };
}

type ProgressReporter = ReturnType<typeof progressReporter>;
