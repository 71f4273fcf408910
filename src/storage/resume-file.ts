// Reading and writing the resume file atomically (temp file, fsync, rename), so a crash at any moment
// leaves either the old file or the new one; where it lives is the layout's (paths.ts). Shell: file I/O.

import { existsSync, readFileSync, rmSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { StorageError, errorMessage } from "../util/index.ts";
import type { Metainfo } from "../metainfo/index.ts";
import { decodeResume, encodeResume, type ResumeState } from "./resume-codec.ts";

/** The resume state, or why there is none to use (missing, corrupt, another torrent). Never throws. */
export function loadResume(path: string, meta: Metainfo): { state?: ResumeState; problem?: string } {
  try {
    rmSync(`${path}.tmp`, { force: true }); // a write cut short by a crash
    if (!existsSync(path)) return { problem: "no resume file" };
    const state = decodeResume(readFileSync(path), { infoHash: meta.infoHash, pieceCount: meta.pieceCount, fileCount: meta.files.length });
    return { state };
  } catch (err) {
    return { problem: errorMessage(err) };
  }
}

export async function saveResume(path: string, state: ResumeState): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(encodeResume(state));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new StorageError(`cannot write resume file ${path}: ${code === "ENOSPC" ? "disk full" : errorMessage(err)}`, { cause: err });
  }
}
