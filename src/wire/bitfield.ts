// Piece bitfield (BEP 3): piece 0 is the high bit of byte 0; spare bits past the last piece are zero.
// Pure; no I/O.

import { WireError } from "../util/index.ts";

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

/** Bytes a bitfield of `length` pieces takes on the wire. */
export function bitfieldByteLength(length: number): number {
  return Math.ceil(length / 8);
}

/** A set of piece indices in [0, length) with an O(1) `count`. */
export class Bitfield {
  /** Number of pieces (bits), not bytes. */
  readonly length: number;
  readonly #bytes: Uint8Array;
  #count = 0;

  /** An empty bitfield, or a copy of wire `bytes` (validated as in `fromBytes`). */
  constructor(length: number, bytes?: Uint8Array) {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`bitfield length out of range: ${length}`);
    this.length = length;
    const byteLength = bitfieldByteLength(length);
    if (bytes === undefined) {
      this.#bytes = new Uint8Array(byteLength);
      return;
    }
    if (bytes.length !== byteLength) {
      throw new WireError(`bitfield has wrong length: ${bytes.length} bytes for ${length} pieces (expected ${byteLength})`);
    }
    const spare = byteLength * 8 - length;
    if (spare > 0 && (bytes[byteLength - 1]! & ((1 << spare) - 1)) !== 0) {
      const last = bytes[byteLength - 1]!.toString(16).padStart(2, "0");
      throw new WireError(`bitfield has spare bits set: last byte 0x${last} for ${length} pieces`);
    }
    this.#bytes = new Uint8Array(bytes);
    let count = 0;
    for (const b of this.#bytes) count += POPCOUNT[b]!;
    this.#count = count;
  }

  /** Validates and copies a bitfield received from a peer; throws WireError on a wrong length or spare bits. */
  static fromBytes(bytes: Uint8Array, length: number): Bitfield {
    return new Bitfield(length, bytes);
  }

  /** A bitfield with every piece set (BEP 6 have_all, or a seeder). */
  static full(length: number): Bitfield {
    const byteLength = bitfieldByteLength(length);
    const bytes = new Uint8Array(byteLength).fill(0xff);
    const spare = byteLength * 8 - length;
    if (spare > 0) bytes[byteLength - 1] = (0xff << spare) & 0xff;
    return new Bitfield(length, bytes);
  }

  /** Number of set pieces. */
  get count(): number {
    return this.#count;
  }

  /** Whether piece `index` is set; false for indices outside [0, length). */
  has(index: number): boolean {
    if (!(index >= 0 && index < this.length)) return false;
    return (this.#bytes[index >>> 3]! & (0x80 >>> (index & 7))) !== 0;
  }

  /** Sets piece `index`; returns true when it was not set before. Throws RangeError outside [0, length). */
  set(index: number): boolean {
    this.#check(index);
    const mask = 0x80 >>> (index & 7);
    const byte = this.#bytes[index >>> 3]!;
    if ((byte & mask) !== 0) return false;
    this.#bytes[index >>> 3] = byte | mask;
    this.#count++;
    return true;
  }

  /** Clears piece `index`; returns true when it was set before. Throws RangeError outside [0, length). */
  clear(index: number): boolean {
    this.#check(index);
    const mask = 0x80 >>> (index & 7);
    const byte = this.#bytes[index >>> 3]!;
    if ((byte & mask) === 0) return false;
    this.#bytes[index >>> 3] = byte & ~mask;
    this.#count--;
    return true;
  }

  isFull(): boolean {
    return this.#count === this.length;
  }

  isEmpty(): boolean {
    return this.#count === 0;
  }

  /** A copy of the wire bytes (spare bits zero). */
  toBytes(): Uint8Array {
    return new Uint8Array(this.#bytes);
  }

  clone(): Bitfield {
    return new Bitfield(this.length, this.#bytes);
  }

  /** Set indices in ascending order. */
  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.length; i++) if (this.has(i)) yield i;
  }

  #check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`piece index out of range: ${index} (bitfield of ${this.length})`);
    }
  }
}
