// The parts store: whole pieces that a file selection needs but that also hold bytes of unselected
// files, kept as `<dir>/<piece index>` so those bytes never appear in files the user did not ask for.
// Shell: file I/O. Each part is written and synced in one go (there are only a few: at most two per
// boundary between a selected and an unselected file).

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, rmSync, rmdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { StorageError, errorMessage } from "../util/index.ts";

export class PartsStore {
  readonly dir: string;
  readonly #readFds = new Map<number, number>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Piece indices stored, ascending. */
  pieces(): number[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** The stored piece, or undefined when it is missing or shorter than `length` (a torn write). */
  read(index: number, length: number): Uint8Array | undefined {
    const fd = this.openForRead(index);
    if (fd === undefined) return undefined;
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, done);
      if (n === 0) return undefined;
      done += n;
    }
    return out;
  }

  /** A read-only descriptor of piece `index`'s part (cached), or undefined when there is none. */
  openForRead(index: number): number | undefined {
    const cached = this.#readFds.get(index);
    if (cached !== undefined) return cached;
    const path = this.#path(index);
    if (!existsSync(path)) return undefined;
    const fd = openSync(path, "r");
    this.#readFds.set(index, fd);
    return fd;
  }

  /** Stores a whole verified piece and syncs it (so a resume file may claim it right after). */
  async write(index: number, data: Uint8Array): Promise<void> {
    try {
      mkdirSync(this.dir, { recursive: true });
      this.#forget(index);
      const handle = await open(this.#path(index), "w");
      try {
        await handle.write(data, 0, data.length, 0);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new StorageError(`cannot write ${this.#path(index)}: ${code === "ENOSPC" ? "disk full" : errorMessage(err)}`, { cause: err });
    }
  }

  remove(index: number): void {
    this.#forget(index);
    rmSync(this.#path(index), { force: true });
    if (this.pieces().length === 0 && existsSync(this.dir)) rmdirSync(this.dir);
  }

  close(): void {
    for (const fd of this.#readFds.values()) closeSync(fd);
    this.#readFds.clear();
  }

  #forget(index: number): void {
    const fd = this.#readFds.get(index);
    if (fd !== undefined) closeSync(fd);
    this.#readFds.delete(index);
  }

  #path(index: number): string {
    return join(this.dir, String(index));
  }
}
