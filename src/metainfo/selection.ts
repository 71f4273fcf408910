// File selection: which files of a torrent to download, from `--select 1,3-5` (the numbers `ripple info`
// shows) and `--exclude GLOB` patterns over the paths inside the torrent. Pure; no I/O.

import { RippleError } from "../util/index.ts";
import type { Metainfo } from "./types.ts";

/** Parses "1,3-5" into 0-based file indices; numbers are 1-based as `ripple info` lists them. */
export function parseFileNumbers(text: string, fileCount: number, option = "--select"): number[] {
  const out = new Set<number>();
  for (const part of text.split(",").map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new RippleError("USAGE", `${option}: expected file numbers such as 1,3-5, got "${text}"`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first < 1 || last > fileCount || first > last) {
      throw new RippleError("USAGE", `${option}: "${part}" is outside 1-${fileCount} (see ripple info for the numbers)`);
    }
    for (let n = first; n <= last; n++) out.add(n - 1);
  }
  return [...out].sort((a, b) => a - b);
}

export interface FileSelection {
  /** 0-based indices to keep; undefined = every file. */
  readonly select?: readonly number[];
  /** Globs (Bun.Glob syntax) over the path inside the torrent, e.g. "*.nfo" or "extras/**". */
  readonly exclude?: readonly string[];
}

/** Per torrent file: whether it is wanted. Pad files are never wanted. */
export function selectFiles(meta: Metainfo, selection: FileSelection): boolean[] {
  const chosen = selection.select === undefined ? undefined : new Set(selection.select);
  const globs = (selection.exclude ?? []).map((pattern) => new Bun.Glob(pattern));
  return meta.files.map((file, i) => {
    if (file.isPad) return false;
    if (chosen && !chosen.has(i)) return false;
    const path = file.path.join("/");
    // A pattern without a slash also matches the base name, as .gitignore patterns do.
    return !globs.some((g) => g.match(path) || g.match(file.path[file.path.length - 1]!));
  });
}
