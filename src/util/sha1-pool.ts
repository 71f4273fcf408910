// SHA-1 on Worker threads: the event loop hands a run of whole pieces to a worker and gets their digests
// back. Data in a SharedArrayBuffer is read by the worker where it lies (nothing copied); other data is
// hashed on the calling thread. Used by the download (one worker: the loop keeps reading sockets while a
// piece is hashed) and by recheck and `ripple create` (one worker per core: hashing is all they do).
// Shell: owns the Workers.

/** The workers' code, inlined so the single compiled executable needs no second file. */
const WORKER_CODE = `
self.onmessage = (event) => {
  const { id, buffer, offset, length, pieceLength } = event.data;
  const count = Math.ceil(length / pieceLength);
  const digests = new Uint8Array(count * 20);
  for (let i = 0; i < count; i++) {
    const start = offset + i * pieceLength;
    const hasher = new Bun.CryptoHasher("sha1");
    hasher.update(new Uint8Array(buffer, start, Math.min(pieceLength, offset + length - start)));
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
    w.onmessage = (event: MessageEvent<{ id: number; digests: Uint8Array }>) => {
      const entry = slot.pending.get(event.data.id);
      slot.pending.delete(event.data.id);
      if (slot.pending.size === 0) w.unref();
      entry?.resolve(event.data.digests);
    };
    w.onerror = (event) => {
      // The worker died: fail what it was doing; the next job starts a new one.
      for (const entry of slot.pending.values()) entry.reject(new Error(`hash worker failed: ${event.message}`));
      slot.pending.clear();
      slot.worker = undefined;
    };
    return w;
  };
  return {
    threads: slots.length,
    hashRuns(data, pieceLength) {
      if (slots.length === 0 || !(data.buffer instanceof SharedArrayBuffer) || closed) return Promise.resolve(sha1Runs(data, pieceLength));
      // The least busy worker (jobs are of similar size: whole batches or whole pieces).
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
        worker.postMessage({ id, buffer: data.buffer, offset: data.byteOffset, length: data.length, pieceLength });
      });
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
