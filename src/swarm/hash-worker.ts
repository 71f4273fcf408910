// SHA-1 of verified-to-be pieces on a Worker thread, so the event loop keeps reading sockets while a
// piece is hashed (hashing is ~40% of a loopback download's time). Piece buffers live in
// SharedArrayBuffers, so nothing is copied to the worker. Shell: owns the Worker.

import { sha1 } from "../util/index.ts";

/** The worker's code, inlined so the single compiled executable needs no second file. */
const WORKER_CODE = `
self.onmessage = (event) => {
  const { id, buffer, offset, length } = event.data;
  const hasher = new Bun.CryptoHasher("sha1");
  hasher.update(new Uint8Array(buffer, offset, length));
  postMessage({ id, digest: new Uint8Array(hasher.digest().buffer) });
};
`;

export interface PieceHasher {
  /** SHA-1 of `data` (off the event loop when `data` lives in a SharedArrayBuffer). */
  sha1(data: Uint8Array): Promise<Uint8Array>;
  close(): void;
}

/** A hasher backed by one Worker thread; falls back to the calling thread for ordinary buffers. */
export function createPieceHasher(): PieceHasher {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (d: Uint8Array) => void; reject: (e: unknown) => void }>();
  const start = (): Worker => {
    const w = new Worker(URL.createObjectURL(new Blob([WORKER_CODE], { type: "application/javascript" })));
    w.unref(); // an idle hasher must not keep the process alive
    w.onmessage = (event: MessageEvent<{ id: number; digest: Uint8Array }>) => {
      const entry = pending.get(event.data.id);
      pending.delete(event.data.id);
      entry?.resolve(event.data.digest);
    };
    w.onerror = (event) => {
      // The worker died: fail what it was doing; the next piece starts a new one.
      for (const entry of pending.values()) entry.reject(new Error(`hash worker failed: ${event.message}`));
      pending.clear();
      worker = undefined;
    };
    return w;
  };
  return {
    sha1(data) {
      if (!(data.buffer instanceof SharedArrayBuffer)) return Promise.resolve(sha1(data));
      worker ??= start();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage({ id, buffer: data.buffer, offset: data.byteOffset, length: data.length });
      });
    },
    close() {
      worker?.terminate();
      worker = undefined;
      for (const entry of pending.values()) entry.reject(new Error("hasher closed"));
      pending.clear();
    },
  };
}
