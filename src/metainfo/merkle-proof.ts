// Answers to BEP 52 hash requests from what a .torrent holds: ranges of a file's piece layer (or the
// layers above it) with the uncle hashes that prove them up to the pieces root. Pure; no I/O.

import { sha256, toHex } from "../util/index.ts";
import { BLOCK_SIZE } from "./geometry.ts";
import { MERKLE_HASH_LENGTH, nextPowerOfTwo, zeroSubtreeRoot } from "./merkle.ts";
import type { Metainfo } from "./types.ts";

/** BEP 52: a request SHOULD NOT ask for more than 512 hashes; more are refused. */
export const MAX_HASHES_PER_REQUEST = 512;

/** What a hash request asks for (the same shape as wire/hash-messages.ts `HashRequest`). */
export interface MerkleRange {
  readonly piecesRoot: Uint8Array;
  readonly baseLayer: number;
  readonly index: number;
  readonly length: number;
  readonly proofLayers: number;
}

/** The layers of a file's tree from its piece layer (padded to a power of two) up to the root. */
function layersAbovePieces(layer: Uint8Array, pieceLength: number): Uint8Array[] {
  const pieces = layer.length / MERKLE_HASH_LENGTH;
  const width = nextPowerOfTwo(pieces);
  let pad = zeroSubtreeRoot(pieceLength / BLOCK_SIZE);
  const bottom = new Uint8Array(width * MERKLE_HASH_LENGTH);
  bottom.set(layer);
  for (let i = pieces; i < width; i++) bottom.set(pad, i * MERKLE_HASH_LENGTH);
  const layers = [bottom];
  for (let w = width; w > 1; w /= 2) {
    const below = layers.at(-1)!;
    const up = new Uint8Array((w / 2) * MERKLE_HASH_LENGTH);
    for (let i = 0; i < w / 2; i++) up.set(sha256(below.subarray(2 * i * 32, 2 * i * 32 + 32), below.subarray(2 * i * 32 + 32, 2 * i * 32 + 64)), i * 32);
    layers.push(up);
    pad = sha256(pad, pad);
  }
  return layers;
}

const cache = new WeakMap<Metainfo, Map<string, Uint8Array[]>>();

/** The tree above a file's piece layer, built once per file (about twice the piece layer's size). */
function cachedLayers(meta: Metainfo, root: Uint8Array, layer: Uint8Array): Uint8Array[] {
  let files = cache.get(meta);
  if (!files) cache.set(meta, (files = new Map()));
  const key = toHex(root);
  let layers = files.get(key);
  if (!layers) files.set(key, (layers = layersAbovePieces(layer, meta.pieceLength)));
  return layers;
}

/**
 * The hashes a `hashes` message carries for `req`: the `length` hashes of the base layer from `index`,
 * then one uncle per layer from the top of that range up, while within `proofLayers` of the base layer
 * and below the root. Undefined (answer with a reject) unless the file has a piece layer in the torrent,
 * the base layer is at or above it, and the range is aligned, a power of two and inside the tree.
 */
export function hashesForRequest(meta: Metainfo, req: MerkleRange): Uint8Array | undefined {
  const layer = meta.v2?.pieceLayers.get(toHex(req.piecesRoot));
  if (!layer) return undefined;
  const pieceLayer = Math.log2(meta.pieceLength / BLOCK_SIZE);
  const { length, index } = req;
  if (length < 1 || length > MAX_HASHES_PER_REQUEST || nextPowerOfTwo(length) !== length || index % length !== 0) return undefined;
  const layers = cachedLayers(meta, req.piecesRoot, layer);
  const at = req.baseLayer - pieceLayer;
  const base = layers[at];
  if (at < 0 || !base || (index + length) * MERKLE_HASH_LENGTH > base.length) return undefined;
  const parts = [base.subarray(index * MERKLE_HASH_LENGTH, (index + length) * MERKLE_HASH_LENGTH)];
  const covered = Math.log2(length);
  let node = index / length;
  for (let up = at + covered; up - at < req.proofLayers && up < layers.length - 1; up++) {
    const sibling = node ^ 1;
    parts.push(layers[up]!.subarray(sibling * MERKLE_HASH_LENGTH, (sibling + 1) * MERKLE_HASH_LENGTH));
    node >>= 1;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** How many hashes of a layer one request asks for at most (BEP 52's SHOULD). */
const LAYER_REQUEST_HASHES = MAX_HASHES_PER_REQUEST;

/**
 * The hash requests that fetch every missing piece layer of a v2 torrent whose .torrent was not at hand
 * (a magnet link): each file larger than a piece, its padded piece layer in runs of up to 512 hashes,
 * without proofs: the whole layer is checked against the pieces root once it is in (libtorrent 2.0
 * rejects a request for more proof layers than lie below the root).
 */
export function pieceLayerRequests(meta: Metainfo): MerkleRange[] {
  const baseLayer = Math.log2(meta.pieceLength / BLOCK_SIZE);
  const out: MerkleRange[] = [];
  const seen = new Set<string>();
  for (const f of meta.v2?.files ?? []) {
    if (f.lengthBytes <= meta.pieceLength || !f.piecesRoot || meta.v2!.pieceLayers.has(toHex(f.piecesRoot))) continue;
    if (seen.has(toHex(f.piecesRoot))) continue; // identical files share one layer
    seen.add(toHex(f.piecesRoot));
    const width = nextPowerOfTwo(Math.ceil(f.lengthBytes / meta.pieceLength));
    const length = Math.min(width, LAYER_REQUEST_HASHES);
    for (let index = 0; index < width; index += length) out.push({ piecesRoot: f.piecesRoot, baseLayer, index, length, proofLayers: 0 });
  }
  return out;
}

