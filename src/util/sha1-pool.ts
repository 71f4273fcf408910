// SHA-1 on Worker threads: the event loop hands a run of whole pieces to a worker and gets their digests
// back. Data in a SharedArrayBuffer is read by the worker where it lies (nothing copied); other data is
// hashed on the calling thread. A job may also name spans of files: the worker reads them itself
// (positioned reads into its own buffer) and hashes them, so `ripple create` keeps every core on
// read+SHA-1 with nothing passing through the event loop. Used by the download (one worker: the loop
// keeps reading sockets while a piece is hashed), recheck and create (one worker per core).
// Shell: owns the Workers and reads files.

import * as fs from "node:fs";

/** Part of a job read from a file: `length` bytes at `offset`; the file must still be `size` bytes long. */
export interface ReadSpan {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
  readonly size: number;
  /** The caller's index of the file, returned in a ReadSpanError. */
  readonly file: number;
}

/** A span could not be read: the file changed size (`size` is what it has now) or the read failed (`code`). */
export class ReadSpanError extends Error {
  readonly file: number;
  readonly size: number | undefined;
  readonly code: string | undefined;
  constructor(detail: { file: number; size?: number; code?: string; message: string }) {
    super(detail.message);
    this.file = detail.file;
    this.size = detail.size;
    this.code = detail.code;
  }
}

/**
 * Reads the spans back to back into `into` (which must hold them all). Self-contained (its source is
 * also the workers'): failures are thrown as plain objects { file, size?, code?, message }.
 */
function readSpans(nodeFs: typeof fs, spans: readonly ReadSpan[], into: Uint8Array): number {
  let at = 0;
  for (const span of spans) {
    let fd: number;
    try {
      fd = nodeFs.openSync(span.path, "r");
    } catch (e) {
      throw { file: span.file, code: (e as { code?: string }).code, message: String((e as Error).message) };
    }
    try {
      const size = nodeFs.fstatSync(fd).size;
      if (size !== span.size) throw { file: span.file, size, message: "size changed" };
      for (let done = 0; done < span.length; ) {
        let n: number;
        try {
          n = nodeFs.readSync(fd, into, at + done, span.length - done, span.offset + done);
        } catch (e) {
          throw { file: span.file, code: (e as { code?: string }).code, message: String((e as Error).message) };
        }
        if (n === 0) throw { file: span.file, size: span.offset + done, message: "file ended early" };
        done += n;
      }
    } finally {
      nodeFs.closeSync(fd);
    }
    at += span.length;
  }
  return at;
}

/** The workers' code, inlined so the single compiled executable needs no second file. */
const WORKER_CODE = `
import * as fs from "node:fs";
const readSpans = ${readSpans.toString()};
let scratch = new Uint8Array(0);
self.onmessage = (event) => {
  const { id, buffer, offset, length, pieceLength, spans } = event.data;
  let data;
  if (spans) {
    if (scratch.length < length) scratch = new Uint8Array(length);
    try {
      readSpans(fs, spans, scratch);
    } catch (failure) {
      postMessage({ id, failure });
      return;
    }
    data = scratch.subarray(0, length);
  } else {
    data = new Uint8Array(buffer, offset, length);
  }
  const count = Math.ceil(length / pieceLength);
  const digests = new Uint8Array(count * 20);
  for (let i = 0; i < count; i++) {
    const hasher = new Bun.CryptoHasher("sha1");
    hasher.update(data.subarray(i * pieceLength, Math.min(length, (i + 1) * pieceLength)));
    digests.set(hasher.digest(), i * 20);
  }
  postMessage({ id, digests }, [digests.buffer]);
};
`;

export interface Sha1Pool {
  /** Number of worker threads (0: everything is hashed on the calling thread). */
  readonly threads: number;
  /**
   * SHA-1 of each `pieceLength` run of `data` (the last may be shorter): 20 bytes per run, in order.
   * Off the calling thread when `data` lives in a SharedArrayBuffer, which must then stay unchanged
   * until the promise settles.
   */
  hashRuns(data: Uint8Array, pieceLength: number): Promise<Uint8Array>;
  /**
   * SHA-1 of each `pieceLength` run of the spans' bytes read back to back (read on the worker, or here
   * with no workers). Rejects with a ReadSpanError when a file changed size or a read failed.
   */
  hashFileRuns(spans: readonly ReadSpan[], pieceLength: number): Promise<Uint8Array>;
  /** Starts the workers now, so their start-up (a few ms each) overlaps what the caller does next. */
  start(): void;
  /** Stops the workers; what they were doing fails. */
  close(): void;
}

/** Worker threads for hashing across the cores: one per core, at most 4, at least 1. */
export function defaultHashThreads(): number {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/** On the calling thread: what the workers do, for data that is not shared memory. */
export function sha1Runs(data: Uint8Array, pieceLength: number): Uint8Array {
  const count = Math.ceil(data.length / pieceLength);
  const digests = new Uint8Array(count * 20);
  for (let i = 0; i < count; i++) {
    const hasher = new Bun.CryptoHasher("sha1");
    hasher.update(data.subarray(i * pieceLength, Math.min(data.length, (i + 1) * pieceLength)));
    digests.set(hasher.digest(), i * 20);
  }
  return digests;
}

interface Slot {
  worker: Worker | undefined;
  /** Jobs sent to this worker and not yet answered, by id. */
  pending: Map<number, { resolve: (d: Uint8Array) => void; reject: (e: unknown) => void }>;
}

/**
 * A pool of `threads` workers, started on first use; an idle pool does not keep the process alive. With 0
 * it hashes on the calling thread (what a 2-core download wants, see Downloader).
 */
export function createSha1Pool(threads: number = defaultHashThreads()): Sha1Pool {
  const slots: Slot[] = Array.from({ length: Math.max(0, threads) }, () => ({ worker: undefined, pending: new Map() }));
  let nextId = 0;
  let closed = false;
  const start = (slot: Slot): Worker => {
    const w = new Worker(URL.createObjectURL(new Blob([WORKER_CODE], { type: "application/javascript" })));
    w.onmessage = (event: MessageEvent<{ id: number; digests?: Uint8Array; failure?: ConstructorParameters<typeof ReadSpanError>[0] }>) => {
      const { id, digests, failure } = event.data;
      const entry = slot.pending.get(id);
      slot.pending.delete(id);
      if (slot.pending.size === 0) w.unref();
      if (failure) entry?.reject(new ReadSpanError(failure));
      else entry?.resolve(digests!);
    };
    w.onerror = (event) => {
      // The worker died: fail what it was doing; the next job starts a new one.
      for (const entry of slot.pending.values()) entry.reject(new Error(`hash worker failed: ${event.message}`));
      slot.pending.clear();
      slot.worker = undefined;
    };
    // Idle until it gets a job (post() references it while it works).
    w.unref();
    return w;
  };
  /** Posts a job to the least busy worker (jobs are of similar size: whole batches or whole pieces). */
  const post = (job: Record<string, unknown>): Promise<Uint8Array> => {
    let slot = slots[0]!;
    for (const s of slots) if (s.pending.size < slot.pending.size) slot = s;
    const worker = (slot.worker ??= start(slot));
    const id = nextId++;
    // Referenced only while it has work: an idle pool must not keep the process alive, and a busy
    // unreferenced worker makes Bun 1.4's event loop poll without sleeping (a core burnt) once
    // process.stdout/stderr exist on a pipe.
    if (slot.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      worker.postMessage({ ...job, id });
    });
  };
  let scratch = new Uint8Array(0);
  return {
    threads: slots.length,
    hashRuns(data, pieceLength) {
      if (slots.length === 0 || !(data.buffer instanceof SharedArrayBuffer) || closed) return Promise.resolve(sha1Runs(data, pieceLength));
      return post({ buffer: data.buffer, offset: data.byteOffset, length: data.length, pieceLength });
    },
    hashFileRuns(spans, pieceLength) {
      const length = spans.reduce((n, s) => n + s.length, 0);
      if (slots.length > 0 && !closed) return post({ spans, length, pieceLength });
      if (scratch.length < length) scratch = new Uint8Array(length);
      try {
        readSpans(fs, spans, scratch);
      } catch (failure) {
        return Promise.reject(new ReadSpanError(failure as ConstructorParameters<typeof ReadSpanError>[0]));
      }
      return Promise.resolve(sha1Runs(scratch.subarray(0, length), pieceLength));
    },
    start() {
      if (!closed) for (const slot of slots) slot.worker ??= start(slot);
    },
    close() {
      closed = true;
      for (const slot of slots) {
        slot.worker?.terminate();
        slot.worker = undefined;
        for (const entry of slot.pending.values()) entry.reject(new Error("hasher closed"));
        slot.pending.clear();
      }
    },
  };
}
