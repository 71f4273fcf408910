// Where a torrent lives under its output directory (`-o`, a daemon save path), resolved in this one
// place: each file (<out>/<name> or <out>/<name>/<path...>, never outside <out>), the resume file and
// the parts store beside the data. Pure.

import { resolve, sep } from "node:path";
import { StorageError } from "../util/index.ts";
import type { Metainfo } from "../metainfo/index.ts";

/** Every path of one torrent under one output directory, all absolute. */
export interface TorrentLayout {
  readonly outDir: string;
  /** `<out>/<name>`: the file of a single-file torrent, the directory of a multi-file one. */
  readonly content: string;
  /** Every file of the torrent (pad files included; callers skip them). */
  readonly files: readonly string[];
  /** `<out>/<name>.ripple`: the resume file, beside the data. */
  readonly resume: string;
  /** `<out>/<name>.ripple-parts/`: bytes of unselected files in pieces shared with selected ones. */
  readonly parts: string;
}

export function torrentLayout(meta: Metainfo, outDir: string): TorrentLayout {
  const root = resolve(outDir);
  return {
    outDir: root,
    content: resolve(root, meta.name),
    files: filePaths(meta, root),
    resume: resolve(root, `${meta.name}.ripple`),
    parts: resolve(root, `${meta.name}.ripple-parts`),
  };
}

/** Absolute on-disk path of every file of the torrent (pad files included; callers skip them). */
export function filePaths(meta: Metainfo, outDir: string): string[] {
  const root = resolve(outDir);
  const content = resolve(root, meta.name);
  return meta.files.map((f) => {
    const full = meta.multiFile ? resolve(content, ...f.path) : content;
    // Metainfo parsing already rejects "..", absolute and empty components; this is the last guard.
    if (!full.startsWith(root + sep)) {
      throw new StorageError(`file path escapes the output directory: ${f.path.join("/")}`);
    }
    return full;
  });
}
