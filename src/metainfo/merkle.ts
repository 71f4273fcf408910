// BEP 52 merkle trees: SHA-256 leaves over 16 KiB blocks, combined pairwise, padded to a power of two
// with zero leaves; piece layers and file roots. Pure; no I/O.

import { sha256 } from "../util/index.ts";
import { BLOCK_SIZE } from "./geometry.ts";

/** BEP 52: every merkle node is a 32-byte SHA-256. */
export const MERKLE_HASH_LENGTH = 32;

/** BEP 52: leaves past the end of a file are 32 zero bytes. */
const ZERO_LEAF = new Uint8Array(MERKLE_HASH_LENGTH);

/** The smallest power of two at or above n (n >= 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** SHA-256 of each 16 KiB block of `data` (the last may be short), concatenated. */
export function leafHashes(data: Uint8Array): Uint8Array {
  const count = Math.ceil(data.length / BLOCK_SIZE);
  const out = new Uint8Array(count * MERKLE_HASH_LENGTH);
  for (let i = 0; i < count; i++) out.set(sha256(data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE)), i * MERKLE_HASH_LENGTH);
  return out;
}

/**
 * Root of a tree whose bottom layer is `layer` (concatenated 32-byte hashes) padded to `width` nodes
 * with `pad`; `width` is a power of two at least the number of hashes. The pad of each layer above is
 * the hash of two pads of the layer below.
 */
export function merkleRoot(layer: Uint8Array, width: number, pad: Uint8Array = ZERO_LEAF): Uint8Array {
  let count = layer.length / MERKLE_HASH_LENGTH;
  if (!Number.isInteger(count) || count < 1 || count > width || nextPowerOfTwo(width) !== width) {
    throw new RangeError(`merkle layer of ${layer.length} bytes does not fit a width of ${width}`);
  }
  let nodes = layer;
  let padHash = pad;
  for (let w = width; w > 1; w /= 2) {
    const parents = Math.ceil(count / 2);
    const next = new Uint8Array(parents * MERKLE_HASH_LENGTH);
    for (let i = 0; i < parents; i++) {
      const left = nodes.subarray(2 * i * MERKLE_HASH_LENGTH, (2 * i + 1) * MERKLE_HASH_LENGTH);
      const right = 2 * i + 1 < count ? nodes.subarray((2 * i + 1) * MERKLE_HASH_LENGTH, (2 * i + 2) * MERKLE_HASH_LENGTH) : padHash;
      next.set(sha256(left, right), i * MERKLE_HASH_LENGTH);
    }
    nodes = next;
    count = parents;
    padHash = sha256(padHash, padHash);
  }
  return nodes.slice(0, MERKLE_HASH_LENGTH);
}

/** Root of a subtree of `leafCount` zero leaves (a power of two): the pad of a piece layer. */
export function zeroSubtreeRoot(leafCount: number): Uint8Array {
  let h: Uint8Array = ZERO_LEAF;
  for (let w = leafCount; w > 1; w /= 2) h = sha256(h, h);
  return h;
}

/**
 * The merkle hash of one v2 piece of a file of `fileLengthBytes` (BEP 52): for a file larger than a
 * piece, the piece-layer node (its blocks padded with zero leaves to a full piece); for a smaller file,
 * the file's `pieces root` (its blocks padded to the next power of two).
 */
export function pieceMerkleHash(pieceData: Uint8Array, pieceLength: number, fileLengthBytes: number): Uint8Array {
  const leaves = leafHashes(pieceData);
  const blocks = leaves.length / MERKLE_HASH_LENGTH;
  const width = fileLengthBytes > pieceLength ? pieceLength / BLOCK_SIZE : nextPowerOfTwo(blocks);
  return merkleRoot(leaves, width);
}

/** A file's `pieces root` from its piece layer (BEP 52: pad nodes are roots of all-zero pieces). */
export function rootFromPieceLayer(layer: Uint8Array, pieceLength: number): Uint8Array {
  const pieces = layer.length / MERKLE_HASH_LENGTH;
  return merkleRoot(layer, nextPowerOfTwo(pieces), zeroSubtreeRoot(pieceLength / BLOCK_SIZE));
}
