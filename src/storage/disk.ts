// Disk storage of one torrent: positioned reads and writes of pieces across file spans (node:fs).
// Shell: opens, reads and writes the files of one torrent. Pad files (BEP 47) are never written; with a
// file selection, bytes of unselected files (in pieces shared with selected ones) go to the parts store.

import { accessSync, constants, existsSync, realpathSync, fstatSync, ftruncateSync, mkdirSync, openSync, read, readSync, statSync, statfsSync, writeSync } from "node:fs";
import { basename, dirname, join, sep } from "node:path";
import { StorageError, errorMessage } from "../util/index.ts";
import { pieceLengthAt, pieceSpans, type FileSpan, type Metainfo } from "../metainfo/index.ts";
import { torrentLayout, type TorrentLayout } from "./paths.ts";
import { FdCache } from "./fd-cache.ts";
import { PartsStore } from "./parts-store.ts";
import type { FileStamp } from "./resume-codec.ts";

/** Storage of piece data; the swarm writes verified pieces and reads pieces to verify or serve. */
export interface Storage {
  /**
   * Writes a whole verified piece (one positioned write per file span) off the event loop; `data` must
   * stay untouched until the promise settles.
   */
  writePiece(index: number, data: Uint8Array): Promise<void>;
  /** Reads a piece into `into` (or a new buffer); bytes of missing files read as zeros. Synchronous. */
  readPiece(index: number, into?: Uint8Array): Uint8Array;
  /** Reads torrent bytes [offset, offset + out.length) off the event loop; missing bytes read as zeros. */
  readRange(offset: number, out: Uint8Array): Promise<void>;
  /** What each torrent file looks like on disk now (undefined = missing; pad files always undefined). */
  fileStamps(): FileStamp[];
  /** Makes every write so far durable (fdatasync), before a resume file claims the pieces. */
  flush(): Promise<void>;
  /** Called once before anything else: brings the files in line with the file selection. */
  prepare(): void;
  /** Bytes the selected files still need beyond what they hold now. */
  missingBytes(): number;
  /** Creates the data directory and checks it can be written (before a download announces itself). */
  ensureWritable(): void;
  /** Free bytes on the file system the data goes to (undefined when that cannot be told). */
  freeBytes(): number | undefined;
  /** Creates every selected (non-pad) file at its final size, so empty files exist too. */
  finalize(): void;
  close(): void;
}

export interface DiskStorageOptions {
  /** Per torrent file: whether it is wanted. Default: every file. */
  selected?: readonly boolean[];
  /**
   * Keep the bytes of unselected files in shared pieces in the layout's parts store (needed with
   * `selected`). Off for a read-only look at the data (verify), which must not move parts into files.
   */
  parts?: boolean;
  /** prepare() writes the selected files out to their full length (zeros where nothing is yet). */
  preallocate?: boolean;
}

/** Zeros written per call when preallocating. */
const PREALLOCATE_CHUNK_BYTES = 1 << 20;

export class DiskStorage implements Storage {
  /** Where everything of this torrent lives under the output directory. */
  readonly layout: TorrentLayout;
  readonly paths: readonly string[];
  readonly #meta: Metainfo;
  readonly #selected: readonly boolean[];
  readonly #parts: PartsStore | undefined;
  readonly #fds = new FdCache((fileIndex, write) => this.#openFile(fileIndex, write));
  readonly #preallocate: boolean;

  constructor(meta: Metainfo, outDir: string, options: DiskStorageOptions = {}) {
    this.#meta = meta;
    this.#preallocate = options.preallocate === true;
    this.layout = torrentLayout(meta, outDir);
    this.paths = this.layout.files;
    this.#selected = options.selected ?? meta.files.map(() => true);
    const anyUnselected = meta.files.some((f, i) => !f.isPad && !this.#selected[i]);
    const partsDir = this.layout.parts;
    this.#parts = options.parts === true && (anyUnselected || existsSync(partsDir)) ? new PartsStore(partsDir) : undefined;
  }

  /**
   * Moves bytes of files that are now selected out of the parts store into the files, and drops parts
   * no longer needed (the selection was widened since the last run); preallocates when asked.
   */
  prepare(): void {
    this.#adoptParts();
    if (this.#preallocate) this.#allocate();
  }

  /** Bytes the selected files still need beyond what they hold now (what the disk must have free). */
  missingBytes(): number {
    const stamps = this.fileStamps();
    return this.#meta.files.reduce((n, f, i) => (f.isPad || !this.#selected[i] ? n : n + Math.max(0, f.lengthBytes - (stamps[i]?.sizeBytes ?? 0))), 0);
  }

  ensureWritable(): void {
    const dir = this.#meta.multiFile ? this.layout.content : this.layout.outDir;
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const reason = code === "EACCES" || code === "EPERM" || code === "EROFS" ? "permission denied" : errorMessage(err);
      throw new StorageError(`cannot write to ${dir}: ${reason}`, { cause: err });
    }
  }

  freeBytes(): number | undefined {
    // The output directory may not exist yet: ask about its nearest existing ancestor.
    for (let dir = this.layout.outDir; ; dir = dirname(dir)) {
      try {
        const fs = statfsSync(dir);
        return fs.bavail * fs.bsize;
      } catch {
        // Missing directory: try its parent; at the root, give up.
        if (dirname(dir) === dir) return undefined;
      }
    }
  }

  #allocate(): void {
    const zeros = new Uint8Array(PREALLOCATE_CHUNK_BYTES);
    this.#meta.files.forEach((f, i) => {
      if (f.isPad || !this.#selected[i] || f.lengthBytes === 0) return;
      const fd = this.#fds.get(i, true);
      for (let at = fstatSync(fd).size; at < f.lengthBytes; at += PREALLOCATE_CHUNK_BYTES) {
        const chunk = zeros.subarray(0, Math.min(PREALLOCATE_CHUNK_BYTES, f.lengthBytes - at));
        this.#io("preallocate", i, () => writeFullySync(fd, chunk, at));
      }
    });
  }

  #adoptParts(): void {
    const parts = this.#parts;
    if (!parts) return;
    for (const index of parts.pieces()) {
      if (index >= this.#meta.pieceCount) continue;
      const spans = pieceSpans(this.#meta, index).filter((s) => !s.file.isPad);
      const piece = parts.read(index, pieceLengthAt(this.#meta, index));
      if (!piece) continue;
      for (const span of spans) {
        if (!this.#selected[span.fileIndex]) continue;
        const fd = this.#fds.get(span.fileIndex, true);
        this.#io("write", span.fileIndex, () => writeFullySync(fd, piece.subarray(span.rangeOffset, span.rangeOffset + span.lengthBytes), span.fileOffset));
      }
      if (spans.every((s) => this.#selected[s.fileIndex])) parts.remove(index);
    }
  }

  async writePiece(index: number, data: Uint8Array): Promise<void> {
    const writes: Promise<void>[] = [];
    let unselected = false;
    for (const span of pieceSpans(this.#meta, index)) {
      if (span.file.isPad) continue;
      if (!this.#selected[span.fileIndex]) {
        unselected = true;
        continue;
      }
      const bytes = data.subarray(span.rangeOffset, span.rangeOffset + span.lengthBytes);
      writes.push(this.#fds.use(span.fileIndex, true, (fd) => this.#writeAll(fd, span.fileIndex, bytes, span.fileOffset)));
    }
    if (unselected && this.#parts) writes.push(this.#parts.write(index, data));
    await Promise.all(writes);
  }

  readPiece(index: number, into?: Uint8Array): Uint8Array {
    const length = pieceLengthAt(this.#meta, index);
    const out = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
    for (const [span, target, position] of this.#pieces(index * this.#meta.pieceLength, out)) {
      if (span.file.isPad) {
        target.fill(0);
        continue;
      }
      // A verified piece must be all there: a missing or cut-short file is an error, not zeros to serve.
      const source = this.#source(span, index);
      const complete = source !== undefined && this.#io("read", span.fileIndex, () => readFullySync(source, target, position(source)));
      if (!complete) throw new StorageError(`cannot read piece ${index}: ${this.paths[span.fileIndex]} is missing or shorter than it was`);
    }
    return out;
  }

  async readRange(offset: number, out: Uint8Array): Promise<void> {
    const reads: Promise<void>[] = [];
    // Spans that continue each other in the same file become one read (a batch of pieces of one file is
    // one syscall, not one per piece); whether a file exists is asked once per file.
    const sources = new Map<number, Source | undefined>();
    let run: { fileIndex: number; start: number; position: number; length: number } | undefined;
    const endRun = (): void => {
      if (run === undefined) return;
      const { fileIndex, start, position, length } = run;
      run = undefined;
      // Through the descriptor use() holds open: the one #source saw may since have been evicted.
      const read = (fd: number) => readFully({ kind: "file", fd }, out.subarray(start, start + length), position).catch((err) => Promise.reject(this.#error("read", fileIndex, err)));
      reads.push(this.#fds.use(fileIndex, false, read));
    };
    for (const [span, target, position, index] of this.#pieces(offset, out)) {
      const perPiece = span.file.isPad || !this.#selected[span.fileIndex];
      let source = perPiece ? this.#source(span, index) : sources.get(span.fileIndex);
      if (!perPiece && !sources.has(span.fileIndex)) sources.set(span.fileIndex, (source = this.#source(span, index)));
      if (source === undefined) {
        target.fill(0);
        continue;
      }
      if (source.kind !== "file") {
        const part = source;
        reads.push(readFully(part, target, position(part)).catch((err) => Promise.reject(this.#error("read", span.fileIndex, err))));
        continue;
      }
      const start = target.byteOffset - out.byteOffset;
      const at = position(source);
      if (run !== undefined && run.fileIndex === span.fileIndex && run.start + run.length === start && run.position + run.length === at) {
        run.length += target.length;
      } else {
        endRun();
        run = { fileIndex: span.fileIndex, start, position: at, length: target.length };
      }
    }
    endRun();
    await Promise.all(reads);
  }

  fileStamps(): FileStamp[] {
    return this.#meta.files.map((f, i) => {
      if (f.isPad) return undefined;
      try {
        const st = statSync(this.paths[i]!);
        return { sizeBytes: st.size, mtimeMs: Math.round(st.mtimeMs) };
      } catch {
        // ENOENT and the like: the file is not there, which is what the stamp records.
        return undefined;
      }
    });
  }

  async flush(): Promise<void> {
    // Parts are synced as they are written (PartsStore.write).
    await this.#fds.sync((i, err) => this.#error("sync", i, err));
  }

  /**
   * Files shorter than the torrent says are extended (a sparse tail, or an empty file created); a longer
   * one is left alone: the extra bytes are not the torrent's, and they may be the user's.
   */
  finalize(): void {
    this.#meta.files.forEach((f, i) => {
      if (f.isPad || !this.#selected[i]) return;
      const stamp = this.fileStamps()[i];
      if (stamp !== undefined && stamp.sizeBytes >= f.lengthBytes) return;
      const fd = this.#fds.get(i, true);
      this.#io("resize", i, () => ftruncateSync(fd, f.lengthBytes));
    });
  }

  close(): void {
    this.#fds.closeAll();
    this.#parts?.close();
  }

  /**
   * The pieces of [offset, offset + out.length) split by file span: the span, the part of `out` it fills,
   * where to read it in a given source (a file, or a whole-piece parts file) and its piece index.
   */
  *#pieces(offset: number, out: Uint8Array): Generator<[FileSpan, Uint8Array, (s: Source) => number, number]> {
    const { pieceLength } = this.#meta;
    const end = offset + out.length;
    for (let index = Math.floor(offset / pieceLength); index * pieceLength < end && index < this.#meta.pieceCount; index++) {
      const pieceStart = index * pieceLength;
      for (const span of pieceSpans(this.#meta, index)) {
        const s = Math.max(pieceStart + span.rangeOffset, offset);
        const e = Math.min(pieceStart + span.rangeOffset + span.lengthBytes, end);
        if (e <= s) continue;
        const target = out.subarray(s - offset, e - offset);
        const inFile = span.fileOffset + (s - pieceStart - span.rangeOffset);
        yield [span, target, (src) => (src.kind === "file" ? inFile : s - pieceStart), index];
      }
    }
  }

  /** Where a span's bytes live: its file, the parts store (unselected file), or nowhere (zeros). */
  #source(span: FileSpan, index: number): Source | undefined {
    if (span.file.isPad) return undefined;
    if (!this.#selected[span.fileIndex]) {
      const fd = this.#parts?.openForRead(index);
      return fd === undefined ? undefined : { kind: "part", fd };
    }
    if (!existsSync(this.paths[span.fileIndex]!)) return undefined;
    return { kind: "file", fd: this.#fds.get(span.fileIndex, false) };
  }

  /**
   * Positioned write of all of `data`, continuing after short writes. Synchronous, like the reads: a
   * piece lands in the page cache in well under a millisecond, and the async write (a job on Bun's I/O
   * threads, a callback, a promise per call) cost ~0.15 s more CPU per 512 MiB than the write itself.
   * Should the disk fall behind, the write blocks the loop, the sockets go unread and TCP slows the
   * peers: the backpressure a download wants anyway.
   */
  async #writeAll(fd: number, fileIndex: number, data: Uint8Array, position: number): Promise<void> {
    this.#io("write", fileIndex, () => {
      for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, position + done);
    });
  }

  /** Opens a file: for writing (created, with its directories) or read-only, so read-only data can be seeded. */
  #openFile(fileIndex: number, write: boolean): number {
    const path = this.paths[fileIndex]!;
    return this.#io("open", fileIndex, () => {
      if (write) {
        mkdirSync(dirname(path), { recursive: true });
        this.#checkInside(path, fileIndex);
      }
      return openSync(path, write ? (existsSync(path) ? "r+" : "w+") : "r");
    });
  }

  /**
   * A symbolic link already in the output directory (a file, or a directory on the way to one) must not
   * carry a write outside it: the real path of what we would write has to stay under the real output
   * directory. (Reads may follow links: seeding from a library of links is the user's choice.)
   */
  #checkInside(path: string, fileIndex: number): void {
    const root = realpathSync(this.layout.outDir);
    const target = existsSync(path) ? realpathSync(path) : join(realpathSync(dirname(path)), basename(path));
    if (!target.startsWith(root + sep)) {
      throw new StorageError(`refusing to write ${this.paths[fileIndex]}: a symbolic link leads outside ${this.layout.outDir} (to ${target})`);
    }
  }

  #io<T>(what: string, fileIndex: number, op: () => T): T {
    try {
      return op();
    } catch (err) {
      throw this.#error(what, fileIndex, err);
    }
  }

  #error(what: string, fileIndex: number, err: unknown): StorageError {
    if (err instanceof StorageError) return err;
    const code = (err as { code?: string }).code;
    const reason = code === "ENOSPC" ? "disk full" : code === "EACCES" || code === "EPERM" ? "permission denied" : errorMessage(err);
    return new StorageError(`cannot ${what} ${this.paths[fileIndex]}: ${reason}`, { cause: err });
  }
}

interface Source {
  readonly kind: "file" | "part";
  readonly fd: number;
}

/** Fills `target` from `position`; returns false (and zero-fills) when the file ends first. */
function readFullySync(source: Source, target: Uint8Array, position: number): boolean {
  let done = 0;
  while (done < target.length) {
    const n = readSync(source.fd, target, done, target.length - done, position + done);
    if (n === 0) {
      target.fill(0, done);
      return false;
    }
    done += n;
  }
  return true;
}

async function readFully(source: Source, target: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const n = await new Promise<number>((resolve, reject) =>
      read(source.fd, target, done, target.length - done, position + done, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))),
    );
    if (n === 0) {
      target.fill(0, done);
      return;
    }
    done += n;
  }
}

function writeFullySync(fd: number, data: Uint8Array, position: number): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, position + done);
}
