// `ripple verify <file.torrent> [-o DIR]`: hash every piece of the data at DIR/<name> (ignoring any resume
// file) and report verified, bad and missing pieces and the files they touch. Exit 0 only when all verify.

import { defineCommand } from "citty";
import { pieceSpans, type Metainfo } from "../../metainfo/index.ts";
import { DiskStorage, planCheck, recheckPieces } from "../../storage/index.ts";
import { RippleError, systemClock } from "../../util/index.ts";
import { formatBytes, formatDuration, formatRate } from "../format.ts";
import { loadTorrentFile } from "../load-torrent.ts";
import { writeErr, writeOut } from "../output.ts";
import { emitJson, outputArgs, outputMode } from "../progress.ts";

const PROGRESS_INTERVAL_MS = 250;

interface FileReport {
  index: number;
  path: string;
  lengthBytes: number;
  status: "ok" | "damaged" | "incomplete";
  badPieces: number;
  missingPieces: number;
}

export const verifyCommand = defineCommand({
  meta: { name: "verify", description: "Check the data of a torrent on disk piece by piece" },
  args: {
    torrent: { type: "positional", description: "Path to a .torrent file", required: true },
    output: { type: "string", alias: "o", description: "Directory the data is in (DIR/<name>), as for download and seed", default: "." },
    ...outputArgs("Show stacks on errors"),
  },
  async run({ args }) {
    const clock = systemClock;
    const mode = outputMode(args);
    const meta = await loadTorrentFile(args.torrent);
    const storage = new DiskStorage(meta, args.output);
    const started = clock.now();
    let lastShown = 0;
    const stamps = storage.fileStamps();
    const plan = planCheck(meta, stamps, undefined);
    let good: number[];
    try {
      good = await recheckPieces(storage, meta, plan.toCheck, {
        onProgress: (checked, total) => {
          const now = clock.now();
          if (now - lastShown < PROGRESS_INTERVAL_MS && checked < total) return;
          lastShown = now;
          if (mode === "json") emitJson("progress", { piecesChecked: checked, piecesToCheck: total }, clock);
          else if (mode === "tty") writeErr(`\rverifying: ${checked}/${total} pieces with data`);
        },
      });
    } finally {
      storage.close();
    }
    if (mode === "tty") writeErr("\r\x1b[K");
    const seconds = (clock.now() - started) / 1000;
    // A piece that fails while some of its bytes are not on disk is missing (incomplete), not bad.
    const goodSet = new Set(good);
    const complete = (i: number) =>
      pieceSpans(meta, i).every((span) => span.file.isPad || (stamps[span.fileIndex]?.sizeBytes ?? 0) >= span.fileOffset + span.lengthBytes);
    const bad = plan.toCheck.filter((i) => !goodSet.has(i) && complete(i));
    const badSet = new Set(bad);
    const missing: number[] = [];
    for (let i = 0; i < meta.pieceCount; i++) if (!goodSet.has(i) && !badSet.has(i)) missing.push(i);
    const files = fileReports(meta, bad, missing);
    const summary = { pieceCount: meta.pieceCount, verified: good.length, bad: bad.length, missing: missing.length, seconds };
    if (mode === "json") {
      emitJson("done", { ...summary, badPieces: bad, missingPieces: missing, files }, clock);
    } else {
      const bytesRead = plan.toCheck.length * meta.pieceLength;
      const lines = files.filter((f) => f.status !== "ok").map((f) => `  ${String(f.index).padStart(4)}  ${f.status.padEnd(10)}  ${f.path} (${describe(f)})`);
      if (mode !== "quiet" && lines.length > 0) writeOut(lines.join("\n") + "\n");
      const verdict =
        `${meta.name}: ${good.length} of ${meta.pieceCount} pieces verified, ${bad.length} bad, ${missing.length} missing` +
        ` (${formatDuration(seconds)}, ${formatRate(bytesRead / Math.max(seconds, 0.001))}; ${formatBytes(meta.totalLength)} in all)`;
      writeOut(verdict + "\n");
    }
    if (good.length < meta.pieceCount) {
      throw new RippleError("VERIFY", `${bad.length + missing.length} of ${meta.pieceCount} pieces do not verify in ${args.output}`);
    }
  },
});

function describe(f: FileReport): string {
  const n = (count: number, what: string) => (count === 0 ? "" : `${count} ${what} piece${count === 1 ? "" : "s"}`);
  return [n(f.badPieces, "bad"), n(f.missingPieces, "missing")].filter(Boolean).join(", ");
}

/** For each (non-pad) file, how many of the bad and missing pieces touch it; numbered as `ripple info`. */
function fileReports(meta: Metainfo, bad: readonly number[], missing: readonly number[]): FileReport[] {
  const badCount = new Array<number>(meta.files.length).fill(0);
  const missingCount = new Array<number>(meta.files.length).fill(0);
  for (const [list, counts] of [[bad, badCount], [missing, missingCount]] as const) {
    for (const index of list) for (const span of pieceSpans(meta, index)) counts[span.fileIndex]!++;
  }
  return meta.files
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => !f.isPad)
    .map(({ f, i }) => ({
      index: i + 1,
      path: f.path.join("/"),
      lengthBytes: f.lengthBytes,
      status: badCount[i]! > 0 ? "damaged" : missingCount[i]! > 0 ? "incomplete" : "ok",
      badPieces: badCount[i]!,
      missingPieces: missingCount[i]!,
    }));
}
