// Test helper: a Storage over one in-memory buffer, for component tests that must not touch the disk.
// Every file reads as missing at start (nothing is checked), and pieces written land in `bytes`.

import type { Metainfo } from "../../src/metainfo/index.ts";
import type { FileStamp, Storage } from "../../src/storage/index.ts";

export class MemoryStorage implements Storage {
  /** The torrent's bytes as written so far (zeros elsewhere). */
  readonly bytes: Uint8Array;
  /** Piece indices in the order they were written. */
  readonly writes: number[] = [];
  readonly #meta: Metainfo;
  closed = false;

  constructor(meta: Metainfo) {
    this.#meta = meta;
    this.bytes = new Uint8Array(meta.totalLength);
  }

  async writePiece(index: number, data: Uint8Array): Promise<void> {
    this.bytes.set(data, index * this.#meta.pieceLength);
    this.writes.push(index);
  }

  readPiece(index: number, into?: Uint8Array): Uint8Array {
    const start = index * this.#meta.pieceLength;
    const piece = this.bytes.subarray(start, Math.min(start + this.#meta.pieceLength, this.bytes.length));
    if (!into) return piece.slice();
    into.set(piece);
    return into;
  }

  async readRange(offset: number, out: Uint8Array): Promise<void> {
    out.set(this.bytes.subarray(offset, offset + out.length));
  }

  fileStamps(): FileStamp[] {
    return this.#meta.files.map(() => undefined);
  }

  async flush(): Promise<void> {}
  prepare(): void {}
  missingBytes(): number {
    return 0;
  }
  ensureWritable(): void {}
  freeBytes(): number | undefined {
    return undefined;
  }
  finalize(): void {}
  close(): void {
    this.closed = true;
  }
}
