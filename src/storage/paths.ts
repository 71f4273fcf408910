// Where each torrent file lives on disk: <out>/<name> or <out>/<name>/<path...>, never outside <out>. Pure.

import { resolve, sep } from "node:path";
import { StorageError } from "../util/index.ts";
import type { Metainfo } from "../metainfo/index.ts";

/** Absolute on-disk path of every file of the torrent (pad files included; callers skip them). */
export function filePaths(meta: Metainfo, outDir: string): string[] {
  const root = resolve(outDir);
  const base = meta.multiFile ? resolve(root, meta.name) : root;
  return meta.files.map((f) => {
    const full = meta.multiFile ? resolve(base, ...f.path) : resolve(root, meta.name);
    // Metainfo parsing already rejects "..", absolute and empty components; this is the last guard.
    if (!full.startsWith(root + sep)) {
      throw new StorageError(`file path escapes the output directory: ${f.path.join("/")}`);
    }
    return full;
  });
}
