// Open file descriptors of one torrent, at most MAX_OPEN_FILES at a time (a torrent may hold thousands
// of files; the process limit is often 1024). Least recently used descriptors are closed first, never
// one with I/O in flight; a written one is synced before it is closed, so a later flush() covers it.
// Shell: owns the descriptors.

import { closeSync, fdatasync, fdatasyncSync } from "node:fs";
import { LIMITS } from "../util/index.ts";

export const MAX_OPEN_FILES = LIMITS.openFilesPerTorrent;

interface Entry {
  fd: number;
  writable: boolean;
  /** Asynchronous operations using the descriptor right now. */
  busy: number;
}

export class FdCache {
  readonly #open: (fileIndex: number, write: boolean) => number;
  readonly #max: number;
  /** Map order is recency order: a use deletes and re-inserts. */
  readonly #entries = new Map<number, Entry>();

  constructor(open: (fileIndex: number, write: boolean) => number, max: number = MAX_OPEN_FILES) {
    this.#open = open;
    this.#max = max;
  }

  /** A descriptor for the file, opened for writing with `write` (a read-only one is reopened). */
  get(fileIndex: number, write: boolean): number {
    let entry = this.#entries.get(fileIndex);
    if (entry && write && !entry.writable) {
      this.#close(fileIndex, entry);
      entry = undefined;
    }
    if (entry) {
      this.#entries.delete(fileIndex);
    } else {
      entry = { fd: this.#open(fileIndex, write), writable: write, busy: 0 };
    }
    this.#entries.set(fileIndex, entry);
    this.#evict(fileIndex);
    return entry.fd;
  }

  /** Runs an asynchronous operation on the file's descriptor, keeping it open until it settles. */
  async use<T>(fileIndex: number, write: boolean, op: (fd: number) => Promise<T>): Promise<T> {
    this.get(fileIndex, write);
    const entry = this.#entries.get(fileIndex)!;
    entry.busy++;
    try {
      return await op(entry.fd);
    } finally {
      entry.busy--;
    }
  }

  /** fdatasync of every descriptor opened for writing. */
  async sync(onError: (fileIndex: number, err: unknown) => Error): Promise<void> {
    await Promise.all(
      [...this.#entries]
        .filter(([, e]) => e.writable)
        .map(([i, e]) => {
          e.busy++;
          return new Promise<void>((resolve, reject) => fdatasync(e.fd, (err) => (e.busy--, err ? reject(onError(i, err)) : resolve())));
        }),
    );
  }

  closeAll(): void {
    for (const [i, e] of this.#entries) this.#close(i, e);
  }

  /** Closes the least recently used idle descriptors down to the cap; never `keep`, the one just handed out. */
  #evict(keep: number): void {
    for (const [i, e] of this.#entries) {
      if (this.#entries.size <= this.#max) return;
      if (e.busy === 0 && i !== keep) this.#close(i, e);
    }
  }

  #close(fileIndex: number, entry: Entry): void {
    this.#entries.delete(fileIndex);
    // Synced first: the resume file may claim pieces written through this descriptor.
    if (entry.writable) fdatasyncSync(entry.fd);
    closeSync(entry.fd);
  }
}
