// BEP 19 request planning: which byte ranges of which files make up a run of pieces. Pure; no I/O.
// Empty files are skipped; BEP 47 pad files are zeros that no server holds, so they are never fetched.

import { spansForRange, type TorrentFile } from "../metainfo/index.ts";

/** One HTTP Range request (or, for a pad file, zeros to fill in). */
export interface WebSeedRange {
  readonly fileIndex: number;
  /** First byte inside the file, and how many. */
  readonly fileOffset: number;
  readonly lengthBytes: number;
  /** Where these bytes go inside the run. */
  readonly runOffset: number;
  /** A BEP 47 pad file: fill zeros, fetch nothing. */
  readonly pad: boolean;
}

/** The ranges covering torrent bytes [start, start + length), in torrent order. */
export function webSeedRanges(files: readonly TorrentFile[], start: number, length: number): WebSeedRange[] {
  return spansForRange(files, start, length).map((s) => ({
    fileIndex: s.fileIndex,
    fileOffset: s.fileOffset,
    lengthBytes: s.lengthBytes,
    runOffset: s.rangeOffset,
    pad: s.file.isPad,
  }));
}

/** The HTTP Range header value for a range (RFC 9110: inclusive last byte). */
export function rangeHeader(fileOffset: number, lengthBytes: number): string {
  return `bytes=${fileOffset}-${fileOffset + lengthBytes - 1}`;
}

/**
 * Checks a 206 answer's Content-Range (`bytes first-last/total`) against what was asked; returns a
 * problem to report, or undefined when it matches. A missing header is accepted (the length is checked
 * on the body anyway).
 */
export function contentRangeProblem(header: string | null, fileOffset: number, lengthBytes: number): string | undefined {
  if (header === null) return undefined;
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(header.trim());
  const last = fileOffset + lengthBytes - 1;
  if (!m || Number(m[1]) !== fileOffset || Number(m[2]) !== last) {
    return `content-range ${JSON.stringify(header.slice(0, 80))} does not match the requested bytes ${fileOffset}-${last}`;
  }
  return undefined;
}
