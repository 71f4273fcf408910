// Reading the files of a torrent being created (BEP 3): walk a file or directory in mktorrent's order,
// then SHA-1 every piece in one streaming pass. Shell: node:fs reads. It lives in storage/ rather than
// metainfo/ because file I/O is storage's job; metainfo/create.ts stays pure and encodes the result.

import { access, constants, lstat, readdir, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { ReadSpanError, StorageError, createSha1Pool, decodeUtf8Strict, decodeUtf8, errorMessage, type ReadSpan, type Sha1Pool } from "../util/index.ts";

/** A file to put in the torrent. */
export interface SourceFile {
  /** Path components below the torrent root (for a single file: its base name). */
  readonly path: readonly string[];
  /** Where to read it: the target joined with `path` (links are followed when reading). Used in messages. */
  readonly diskPath: string;
  readonly lengthBytes: number;
}

/** What {@link listSourceFiles} found. */
export interface SourceTree {
  /** The target's base name, the default torrent name. */
  readonly name: string;
  /** True when the target is a directory (the torrent gets `info.files`, even for one file). */
  readonly multiFile: boolean;
  /** Regular files in torrent order. */
  readonly files: readonly SourceFile[];
  readonly totalBytes: number;
  /** Entries that are neither regular files nor directories (FIFOs, sockets, devices), left out. */
  readonly skipped: readonly string[];
}

export interface ListOptions {
  /** A file to leave out when the walk meets it (compared by device and inode), e.g. the .torrent being written. */
  readonly exclude?: string;
}

/**
 * Lists the files of `target`, following mktorrent 1.1 so both tools make the same infoHash:
 * - order: byte-wise (strcmp) order of the whole relative path with "/" separators, so "a b/x" <
 *   "a-b/x" < "a.txt" < "a/x" < "B/y" < "b.txt" (mktorrent's insertion sort; locale never matters);
 * - hidden files and directories (names starting with ".") are included;
 * - symbolic links are followed, to files and to directories; empty directories add nothing; empty
 *   files are kept; FIFOs, sockets and devices are skipped (and reported in `skipped`).
 * Where mktorrent would skip an unreadable file with a warning, this throws, since the torrent would
 * silently lack it. A broken link, a link loop or a name that is not UTF-8 also throws a StorageError.
 */
export async function listSourceFiles(target: string, options: ListOptions = {}): Promise<SourceTree> {
  const name = basename(resolve(target));
  const excluded = options.exclude === undefined ? undefined : await statIfExists(options.exclude);
  const top = await statEntry(target);
  if (top.isFile()) {
    await checkReadable(target);
    const file = { path: [name], diskPath: target, lengthBytes: Number(top.size) };
    return { name, multiFile: false, files: [file], totalBytes: file.lengthBytes, skipped: [] };
  }
  if (!top.isDirectory()) throw new StorageError(`cannot create a torrent from ${target}: not a regular file or a directory`);

  const found: { file: SourceFile; key: Uint8Array }[] = [];
  const skipped: string[] = [];
  const walk = async (dir: string, rel: readonly string[], ancestors: ReadonlyMap<string, string>): Promise<void> => {
    let names: Buffer[];
    try {
      names = await readdir(dir, { encoding: "buffer" });
    } catch (err) {
      throw readError(dir, err);
    }
    const entries = names.map((raw) => {
      const text = decodeUtf8Strict(raw);
      if (text === undefined) {
        const lossy = join(dir, decodeUtf8(raw));
        throw new StorageError(`cannot add ${lossy}: its name is not valid UTF-8, which torrent paths must be; rename it`);
      }
      return text;
    });
    // Stat a directory's entries together: large trees are bound by syscall latency, not CPU.
    const stats = await Promise.all(entries.map((e) => statEntry(join(dir, e))));
    for (let i = 0; i < entries.length; i++) {
      const s = stats[i]!;
      const path = [...rel, entries[i]!];
      const diskPath = join(dir, entries[i]!);
      if (s.isDirectory()) {
        const id = `${s.dev}:${s.ino}`;
        const loopsTo = ancestors.get(id);
        if (loopsTo !== undefined) {
          throw new StorageError(`cannot add ${diskPath}: symbolic link loop back to ${loopsTo}`);
        }
        await walk(diskPath, path, new Map([...ancestors, [id, diskPath]]));
      } else if (s.isFile()) {
        if (excluded !== undefined && s.dev === excluded.dev && s.ino === excluded.ino) continue;
        await checkReadable(diskPath);
        const file = { path, diskPath, lengthBytes: Number(s.size) };
        found.push({ file, key: Buffer.from(path.join("/")) });
      } else {
        skipped.push(diskPath);
      }
    }
  };
  await walk(target, [], new Map([[`${top.dev}:${top.ino}`, target]]));
  found.sort((a, b) => Buffer.compare(a.key, b.key));
  const files = found.map((f) => f.file);
  return { name, multiFile: true, files, totalBytes: files.reduce((n, f) => n + f.lengthBytes, 0), skipped: skipped.sort() };
}

type BigStats = Awaited<ReturnType<typeof statBig>>;

function statBig(path: string) {
  return stat(path, { bigint: true });
}

async function statIfExists(path: string): Promise<BigStats | undefined> {
  try {
    return await statBig(path);
  } catch {
    // Nothing there (or nothing we can stat), so nothing the walk could meet and have to leave out.
    return undefined;
  }
}

/** stat() that follows links, with a one-line error; a dangling link gets its own message. */
async function statEntry(path: string): Promise<BigStats> {
  try {
    return await statBig(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT" && (await lstat(path).then((s) => s.isSymbolicLink(), () => false))) {
      throw new StorageError(`cannot read ${path}: broken symbolic link`, { cause: err });
    }
    throw readError(path, err);
  }
}

async function checkReadable(path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    throw readError(path, err);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ELOOP: "too many levels of symbolic links",
  ENOTDIR: "not a directory",
  EIO: "input/output error",
};

function readError(path: string, err: unknown): StorageError {
  const code = (err as { code?: string }).code;
  return new StorageError(`cannot read ${path}: ${(code && REASONS[code]) ?? errorMessage(err)}`, { cause: err });
}

/** Bytes read per call (rounded down to whole pieces, at least one): large enough that syscalls cost little next to SHA-1. */
export const HASH_READ_BYTES = 4 * 1024 * 1024;

export interface HashOptions {
  /** Called after each read buffer is hashed, with the bytes hashed so far. */
  readonly onProgress?: (bytesHashed: number) => void;
  /** Stops hashing between buffers; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Hash on these workers (default: a pool of one per core, closed when done). */
  readonly pool?: Sha1Pool;
}

/**
 * SHA-1 of every `pieceLength` bytes of the files concatenated in order (BEP 3 `pieces`); pieces span
 * file boundaries and the last one may be short. The data is cut into batches of whole pieces, and each
 * batch is read and hashed on a worker thread (Sha1Pool.hashFileRuns), a few batches in flight per
 * worker: every core does positioned reads and SHA-1, as mktorrent's threads do. Throws a StorageError
 * when a file cannot be read or its size changed since it was listed.
 */
export async function hashSourceFiles(files: readonly SourceFile[], pieceLength: number, options: HashOptions = {}): Promise<Uint8Array> {
  if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0) throw new RangeError(`piece length must be a positive integer, got ${pieceLength}`);
  const totalBytes = files.reduce((n, f) => n + f.lengthBytes, 0);
  const pieces = new Uint8Array(Math.ceil(totalBytes / pieceLength) * 20);
  const pool = options.pool ?? createSha1Pool();
  const batchBytes = Math.max(1, Math.floor(HASH_READ_BYTES / pieceLength)) * pieceLength;
  // Two batches per worker: one being hashed, the next already posted.
  const maxInFlight = 2 * Math.max(1, pool.threads);
  const hashing = new Set<Promise<void>>();
  /** The earliest batch (in file order) that failed: once one fails no more are posted, and it is thrown. */
  let failure: { start: number; error: unknown } | undefined;
  let hashed = 0;
  try {
    for (const batch of batchSpans(files, batchBytes)) {
      options.signal?.throwIfAborted();
      while (hashing.size >= maxInFlight && !failure) await Promise.race(hashing);
      if (failure) break;
      const job: Promise<void> = pool
        .hashFileRuns(batch.spans, pieceLength)
        .then(
          (digests) => {
            pieces.set(digests, (batch.start / pieceLength) * 20);
            hashed += batch.length;
            options.onProgress?.(hashed);
          },
          (error: unknown) => {
            if (failure === undefined || batch.start < failure.start) failure = { start: batch.start, error: spanError(error, files) };
          },
        )
        .then(() => void hashing.delete(job));
      hashing.add(job);
    }
    await Promise.all(hashing);
    const failed = failure as { error: unknown } | undefined; // set by the jobs' callbacks
    if (failed) throw failed.error;
    options.signal?.throwIfAborted();
  } finally {
    // Let the work in flight settle before closing.
    await Promise.allSettled(hashing);
    if (options.pool === undefined) pool.close();
  }
  return pieces;
}

/** The files' bytes cut into batches of `batchBytes` (whole pieces, the last may be short), as file spans. */
function* batchSpans(files: readonly SourceFile[], batchBytes: number): Generator<{ start: number; length: number; spans: ReadSpan[] }> {
  let spans: ReadSpan[] = [];
  let start = 0;
  let length = 0;
  for (const [file, f] of files.entries()) {
    for (let offset = 0; offset < f.lengthBytes; ) {
      const take = Math.min(f.lengthBytes - offset, batchBytes - length);
      spans.push({ path: f.diskPath, offset, length: take, size: f.lengthBytes, file });
      offset += take;
      length += take;
      if (length === batchBytes) {
        yield { start, length, spans };
        start += length;
        spans = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield { start, length, spans };
}

/** A ReadSpanError as the StorageError a user reads; other errors (a worker that died) as they are. */
function spanError(error: unknown, files: readonly SourceFile[]): unknown {
  if (!(error instanceof ReadSpanError)) return error;
  const file = files[error.file]!;
  return error.size !== undefined ? changedError(file, error.size) : readError(file.diskPath, error);
}

function changedError(file: SourceFile, sizeBytes: number): StorageError {
  return new StorageError(
    `cannot read ${file.diskPath}: it changed while the torrent was being made (listed with ${file.lengthBytes} bytes, now ${sizeBytes})`,
  );
}
