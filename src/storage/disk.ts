// Disk storage of one torrent: positioned reads and writes of pieces across file spans (node:fs).
// Shell: opens, reads and writes the files of one torrent. Pad files (BEP 47) are never written.

import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, write } from "node:fs";
import { dirname } from "node:path";
import { StorageError, errorMessage } from "../util/index.ts";
import { pieceLengthAt, pieceSpans, type Metainfo } from "../metainfo/index.ts";
import { filePaths } from "./paths.ts";

/** Storage of piece data; the swarm writes verified pieces and reads pieces to verify or serve. */
export interface Storage {
  /**
   * Writes a whole verified piece (one positioned write per file span) off the event loop; `data` must
   * stay untouched until the promise settles.
   */
  writePiece(index: number, data: Uint8Array): Promise<void>;
  /** Reads a piece into `into` (or a new buffer); bytes of missing files read as zeros. */
  readPiece(index: number, into?: Uint8Array): Uint8Array;
  /** Reads `length` bytes at `begin` inside piece `index`. */
  readBlock(index: number, begin: number, length: number): Uint8Array;
  /** True when at least one non-pad, non-empty file already exists on disk. */
  hasExistingData(): boolean;
  /** Creates every (non-pad) file at its final size, so empty files exist too. */
  finalize(): void;
  close(): void;
}

export class DiskStorage implements Storage {
  readonly paths: readonly string[];
  readonly #meta: Metainfo;
  readonly #fds = new Map<number, number>();

  constructor(meta: Metainfo, outDir: string) {
    this.#meta = meta;
    this.paths = filePaths(meta, outDir);
  }

  async writePiece(index: number, data: Uint8Array): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const span of pieceSpans(this.#meta, index)) {
      if (span.file.isPad) continue;
      const fd = this.#open(span.fileIndex, true)!;
      writes.push(this.#writeAll(fd, span.fileIndex, data.subarray(span.rangeOffset, span.rangeOffset + span.lengthBytes), span.fileOffset));
    }
    await Promise.all(writes);
  }

  /** Positioned write of all of `data`, continuing after short writes. */
  async #writeAll(fd: number, fileIndex: number, data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      done += await new Promise<number>((resolve, reject) =>
        write(fd, data, done, data.length - done, position + done, (err, written) =>
          err ? reject(this.#error("write", fileIndex, err)) : resolve(written),
        ),
      );
    }
  }

  readPiece(index: number, into?: Uint8Array): Uint8Array {
    const length = pieceLengthAt(this.#meta, index);
    const out = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
    this.#readRange(index, 0, out);
    return out;
  }

  readBlock(index: number, begin: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.#readRange(index, begin, out);
    return out;
  }

  hasExistingData(): boolean {
    return this.#meta.files.some((f, i) => !f.isPad && f.lengthBytes > 0 && existsSync(this.paths[i]!));
  }

  finalize(): void {
    this.#meta.files.forEach((f, i) => {
      if (f.isPad) return;
      const fd = this.#open(i, true)!;
      const size = fstatSync(fd).size;
      if (size !== f.lengthBytes) this.#io("resize", i, () => ftruncateSync(fd, f.lengthBytes));
    });
  }

  close(): void {
    for (const fd of this.#fds.values()) closeSync(fd);
    this.#fds.clear();
  }

  #readRange(index: number, begin: number, out: Uint8Array): void {
    for (const span of pieceSpans(this.#meta, index)) {
      const s = Math.max(span.rangeOffset, begin);
      const e = Math.min(span.rangeOffset + span.lengthBytes, begin + out.length);
      if (e <= s) continue;
      const target = out.subarray(s - begin, e - begin);
      const fd = span.file.isPad ? undefined : this.#open(span.fileIndex, false);
      if (fd === undefined) {
        target.fill(0);
        continue;
      }
      const filePos = span.fileOffset + (s - span.rangeOffset);
      let done = 0;
      while (done < target.length) {
        const n = this.#io("read", span.fileIndex, () => readSync(fd, target, done, target.length - done, filePos + done));
        if (n === 0) {
          target.fill(0, done); // past the end of a short (partly written) file
          break;
        }
        done += n;
      }
    }
  }

  /** Opens (and with `create`, creates) a file; returns undefined for a missing file when reading. */
  #open(fileIndex: number, create: boolean): number | undefined {
    const cached = this.#fds.get(fileIndex);
    if (cached !== undefined) return cached;
    const path = this.paths[fileIndex]!;
    if (!create && !existsSync(path)) return undefined;
    const fd = this.#io("open", fileIndex, () => {
      if (create) mkdirSync(dirname(path), { recursive: true });
      return openSync(path, existsSync(path) ? "r+" : "w+");
    });
    this.#fds.set(fileIndex, fd);
    return fd;
  }

  #io<T>(what: string, fileIndex: number, op: () => T): T {
    try {
      return op();
    } catch (err) {
      throw this.#error(what, fileIndex, err);
    }
  }

  #error(what: string, fileIndex: number, err: unknown): StorageError {
    const code = (err as { code?: string }).code;
    const reason = code === "ENOSPC" ? "disk full" : code === "EACCES" || code === "EPERM" ? "permission denied" : errorMessage(err);
    return new StorageError(`cannot ${what} ${this.paths[fileIndex]}: ${reason}`, { cause: err });
  }
}
