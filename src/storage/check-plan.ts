// Which pieces to trust from the resume file and which to hash again at start-up. Pure; no I/O.
// A piece is trusted only if the resume file says it was verified and no file it touches changed since
// (size and mtime equal); a piece with no bytes on disk is neither trusted nor read.

import { pieceSpans, type Metainfo } from "../metainfo/index.ts";
import type { FileStamp, ResumeState } from "./resume-codec.ts";

export interface CheckPlan {
  /** Verified according to a resume file that still matches the files. */
  readonly trusted: readonly number[];
  /** Pieces with bytes on disk to hash, in ascending order. */
  readonly toCheck: readonly number[];
  /** Why the resume file was not (fully) used, for a log line; undefined when it was. */
  readonly reason?: string;
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.sizeBytes === b.sizeBytes && Math.round(a.mtimeMs) === Math.round(b.mtimeMs);
}

/**
 * `current` is what each torrent file looks like now (undefined = missing); `resume` is the decoded
 * resume file, or undefined when there is none or it is unusable (`resumeProblem` says why).
 */
export function planCheck(meta: Metainfo, current: readonly FileStamp[], resume: ResumeState | undefined, resumeProblem?: string): CheckPlan {
  const stale = meta.files.map((f, i) => !f.isPad && (resume === undefined || !sameStamp(resume.files[i], current[i])));
  const trusted: number[] = [];
  const toCheck: number[] = [];
  for (let index = 0; index < meta.pieceCount; index++) {
    let touchesStale = false;
    let onDisk = false;
    for (const span of pieceSpans(meta, index)) {
      if (span.file.isPad) continue;
      touchesStale ||= stale[span.fileIndex]!;
      const now = current[span.fileIndex];
      onDisk ||= now !== undefined && now.sizeBytes > span.fileOffset;
    }
    if (!touchesStale && resume !== undefined && hasBit(resume.have, index)) trusted.push(index);
    else if (touchesStale && onDisk) toCheck.push(index);
  }
  const changed = stale.filter(Boolean).length;
  const reason =
    resume === undefined ? (resumeProblem ?? "no resume file") : changed > 0 ? `${changed} file(s) changed since the resume file was written` : undefined;
  return { trusted, toCheck, ...(reason !== undefined && { reason }) };
}

function hasBit(bitfield: Uint8Array, index: number): boolean {
  return ((bitfield[index >>> 3] ?? 0) & (0x80 >>> (index & 7))) !== 0;
}
