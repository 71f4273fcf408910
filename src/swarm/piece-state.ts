// Progress of one piece being downloaded: which blocks are requested, received, and who sent them.
// Pure state; the block bytes land in `buffer`, hashed once when every block is in.

import { BLOCK_SIZE, blockCount, blockLengthAt } from "../metainfo/index.ts";

export class PieceState {
  readonly index: number;
  readonly lengthBytes: number;
  readonly blocks: number;
  readonly buffer: Uint8Array;
  /** Outstanding requests per block (more than one only in endgame). */
  readonly requested: Uint8Array;
  readonly received: Uint8Array;
  /** Key of the peer that delivered each block (for blame when the hash fails). */
  readonly sources: (string | undefined)[];
  receivedCount = 0;
  /** No block below this index is free (neither requested nor received). */
  firstFree = 0;

  /** `buffer`, when given, is reused (a recycled piece buffer at least `lengthBytes` long). */
  constructor(index: number, lengthBytes: number, buffer?: Uint8Array) {
    this.index = index;
    this.lengthBytes = lengthBytes;
    this.blocks = blockCount(lengthBytes);
    // Shared memory: the hash worker reads the piece where it lies (see util/sha1-pool.ts).
    this.buffer = buffer ? buffer.subarray(0, lengthBytes) : new Uint8Array(new SharedArrayBuffer(lengthBytes));
    this.requested = new Uint8Array(this.blocks);
    this.received = new Uint8Array(this.blocks);
    this.sources = new Array(this.blocks);
  }

  get complete(): boolean {
    return this.receivedCount === this.blocks;
  }

  blockLength(block: number): number {
    return blockLengthAt(this.lengthBytes, block);
  }

  /** Copies a block in; returns false when it was already received (an endgame duplicate). */
  store(block: number, data: Uint8Array, source: string): boolean {
    if (this.received[block]) return false;
    this.buffer.set(data, block * BLOCK_SIZE);
    this.received[block] = 1;
    this.sources[block] = source;
    this.receivedCount++;
    return true;
  }

  /** Marks a block received whose bytes a web seed wrote into `buffer` itself; false if it already was. */
  markReceived(block: number, source: string): boolean {
    if (this.received[block]) return false;
    this.received[block] = 1;
    this.sources[block] = source;
    this.receivedCount++;
    return true;
  }

  release(block: number): void {
    if (this.requested[block]! > 0) this.requested[block]!--;
    if (this.requested[block] === 0 && !this.received[block] && block < this.firstFree) this.firstFree = block;
  }

  /** Forgets every received block (after a failed hash check), keeping the buffer for reuse. */
  reset(): void {
    this.received.fill(0);
    this.requested.fill(0);
    this.sources.fill(undefined);
    this.receivedCount = 0;
    this.firstFree = 0;
  }
}
