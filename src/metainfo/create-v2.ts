// Creation of BitTorrent v2 and hybrid torrents (BEP 52): file tree order, merkle roots and piece layers
// per file, pad-aligned v1 files (BEP 47, named `.pad/N` as libtorrent does) and the bencoded result.
// Pure; no I/O (reading and hashing the files is storage/create-files-v2.ts).

import { type EncodableValue, encodeBencode } from "../bencode/index.ts";
import { MetainfoError, toHex, utf8 } from "../util/index.ts";
import { checkTorrentName, isPowerOfTwo, topLevelFields, type TorrentExtras } from "./create.ts";
import { checkPathComponent } from "./file-paths.ts";
import { BLOCK_SIZE } from "./geometry.ts";
import { MERKLE_HASH_LENGTH, pieceMerkleHash, rootFromPieceLayer } from "./merkle.ts";
import { MAX_PIECE_LENGTH } from "./parse.ts";
import { META_VERSION_2 } from "./parse-v2.ts";
import { compareBytes, encodePieceLayers, encodeRawDict } from "./raw-dict.ts";

/** One file of a v2 torrent being created, with its merkle hashes. */
export interface V2FileHashes {
  readonly path: readonly string[];
  readonly lengthBytes: number;
  /** Absent for an empty file. */
  readonly piecesRoot?: Uint8Array;
  /** Only for a file larger than one piece: one 32-byte hash per piece. */
  readonly pieceLayer?: Uint8Array;
}

export interface V2TorrentContent {
  readonly name: string;
  /** true: a directory (`file tree` of paths, `info.files`), false: one file named `name`. */
  readonly multiFile: boolean;
  /** In file tree order ({@link v2FileOrder}). */
  readonly files: readonly V2FileHashes[];
  readonly pieceLength: number;
  /** A hybrid torrent: SHA-1 hashes of the pieces over the pad-aligned files ({@link hybridLayout}). */
  readonly v1PieceHashes?: Uint8Array;
  readonly private?: boolean;
}

/** A file of the v1 side of a hybrid torrent, pad files included. */
export interface HybridEntry {
  readonly path: readonly string[];
  readonly lengthBytes: number;
  readonly isPad: boolean;
}

function fail(field: string, detail: string): never {
  throw new MetainfoError(field, `${field}: ${detail}`);
}

/** Files in `file tree` order: path components compared one by one as UTF-8 bytes (a depth-first walk). */
export function v2FileOrder<T extends { readonly path: readonly string[] }>(files: readonly T[]): T[] {
  const keyed = files.map((f) => ({ f, parts: f.path.map(utf8) }));
  keyed.sort((x, y) => {
    for (let i = 0; i < Math.min(x.parts.length, y.parts.length); i++) {
      const c = compareBytes(x.parts[i]!, y.parts[i]!);
      if (c !== 0) return c;
    }
    return x.parts.length - y.parts.length;
  });
  return keyed.map((k) => k.f);
}

/**
 * The v1 files of a hybrid torrent: a pad file (`.pad/N`, attr `p`) after every non-empty file that does
 * not end on a piece boundary; libtorrent pads the last one too, except in a single-file torrent.
 */
export function hybridLayout(files: readonly { readonly path: readonly string[]; readonly lengthBytes: number }[], pieceLength: number, multiFile: boolean): HybridEntry[] {
  const out: HybridEntry[] = [];
  for (const f of files) {
    out.push({ path: f.path, lengthBytes: f.lengthBytes, isPad: false });
    const padBytes = (pieceLength - (f.lengthBytes % pieceLength)) % pieceLength;
    if (padBytes > 0 && multiFile) out.push({ path: [".pad", String(padBytes)], lengthBytes: padBytes, isPad: true });
  }
  return out;
}

/** A file's merkle hashes from the merkle hash of each of its pieces ({@link pieceMerkleHash}), concatenated. */
export function fileHashesFromPieces(path: readonly string[], lengthBytes: number, pieceHashes: Uint8Array, pieceLength: number): V2FileHashes {
  if (lengthBytes === 0) return { path, lengthBytes };
  if (lengthBytes <= pieceLength) return { path, lengthBytes, piecesRoot: pieceHashes.slice(0, MERKLE_HASH_LENGTH) };
  return { path, lengthBytes, piecesRoot: rootFromPieceLayer(pieceHashes, pieceLength), pieceLayer: pieceHashes };
}

/** The merkle hashes of a file held in memory (tests, small inputs). */
export function hashV2File(path: readonly string[], data: Uint8Array, pieceLength: number): V2FileHashes {
  const pieces = Math.ceil(data.length / pieceLength);
  const layer = new Uint8Array(pieces * MERKLE_HASH_LENGTH);
  for (let i = 0; i < pieces; i++) {
    layer.set(pieceMerkleHash(data.subarray(i * pieceLength, (i + 1) * pieceLength), pieceLength, data.length), i * MERKLE_HASH_LENGTH);
  }
  return fileHashesFromPieces(path, data.length, layer, pieceLength);
}

interface TreeNode {
  readonly children: Map<string, TreeNode>;
  file?: V2FileHashes;
}

function encodeTree(node: TreeNode): Uint8Array {
  if (node.file) {
    const f = node.file;
    return encodeRawDict([["", encodeBencode({ length: f.lengthBytes, "pieces root": f.piecesRoot })]]);
  }
  return encodeRawDict([...node.children].map(([name, child]) => [name, encodeTree(child)] as const));
}

/** The bencoded `info` dictionary of a v2 or hybrid torrent. Throws a MetainfoError naming the field. */
export function buildInfoV2(content: V2TorrentContent): Uint8Array {
  checkTorrentName(content.name);
  const { pieceLength, files, multiFile } = content;
  if (!isPowerOfTwo(pieceLength) || pieceLength < BLOCK_SIZE || pieceLength > MAX_PIECE_LENGTH) {
    fail("info.piece length", `expected a power of two from ${BLOCK_SIZE} to ${MAX_PIECE_LENGTH}, got ${pieceLength}`);
  }
  if (!multiFile && files.length !== 1) fail("info.file tree", `a single-file torrent needs exactly one file, got ${files.length}`);
  if (files.length === 0) fail("info.file tree", "a torrent needs at least one file");
  const root: TreeNode = { children: new Map() };
  files.forEach((f, i) => {
    const field = `info.file tree[${f.path.join("/")}]`;
    if (!Number.isSafeInteger(f.lengthBytes) || f.lengthBytes < 0) fail(`${field}.length`, `expected a non-negative integer, got ${f.lengthBytes}`);
    if (f.lengthBytes > 0 && f.piecesRoot?.length !== MERKLE_HASH_LENGTH) fail(`${field}.pieces root`, "expected a 32-byte merkle root");
    const path = multiFile ? f.path : [content.name];
    if (path.length === 0) fail(`info.files[${i}].path`, "expected at least one path component");
    let node = root;
    path.forEach((c, j) => {
      checkPathComponent(c, `${field}[${j}]`);
      let child = node.children.get(c);
      if (!child) node.children.set(c, (child = { children: new Map() }));
      if (child.file || (j === path.length - 1 && child.children.size > 0)) fail(field, "two files at one path");
      node = child;
    });
    node.file = f;
  });
  if (files.every((f) => f.lengthBytes === 0)) fail("info", "the files hold no data (total length 0); a torrent needs at least one byte");
  const entries: [string, Uint8Array][] = [
    ["file tree", encodeTree(root)],
    ["meta version", encodeBencode(META_VERSION_2)],
    ["name", encodeBencode(content.name)],
    ["piece length", encodeBencode(pieceLength)],
  ];
  if (content.private) entries.push(["private", encodeBencode(1)]);
  if (content.v1PieceHashes !== undefined) {
    const layout = hybridLayout(files, pieceLength, multiFile);
    const total = layout.reduce((n, f) => n + f.lengthBytes, 0);
    const expected = Math.ceil(total / pieceLength) * 20;
    if (content.v1PieceHashes.length !== expected) fail("info.pieces", `expected ${expected} bytes of hashes, got ${content.v1PieceHashes.length}`);
    entries.push(["pieces", encodeBencode(content.v1PieceHashes)]);
    if (multiFile) {
      const list: EncodableValue[] = layout.map((f) => ({ ...(f.isPad && { attr: "p" }), length: f.lengthBytes, path: [...f.path] }));
      entries.push(["files", encodeBencode(list)]);
    } else {
      entries.push(["length", encodeBencode(files[0]!.lengthBytes)]);
    }
  }
  return encodeRawDict(entries);
}

/** The bencoded .torrent of a v2 or hybrid torrent: `info`, BEP 52 `piece layers`, trackers and the rest. */
export function encodeTorrentV2(options: V2TorrentContent & TorrentExtras): Uint8Array {
  const entries: [string | Uint8Array, Uint8Array][] = Object.entries(topLevelFields(options))
    .filter((e): e is [string, EncodableValue] => e[1] !== undefined)
    .map(([k, v]) => [k, encodeBencode(v)]);
  entries.push(["info", buildInfoV2(options)]);
  const layers = new Map<string, Uint8Array>();
  for (const f of options.files) {
    if (f.lengthBytes <= options.pieceLength) continue;
    const expected = Math.ceil(f.lengthBytes / options.pieceLength) * MERKLE_HASH_LENGTH;
    if (f.pieceLayer?.length !== expected) fail(`piece layers[${f.path.join("/")}]`, `expected ${expected} bytes of piece hashes`);
    layers.set(toHex(f.piecesRoot!), f.pieceLayer);
  }
  entries.push(["piece layers", encodePieceLayers(layers)]);
  return encodeRawDict(entries);
}
