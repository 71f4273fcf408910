// Strict reading of the BitTorrent v2 fields of a .torrent (BEP 52): `meta version`, `file tree`,
// `piece layers`, the implied piece alignment of v2-only torrents and the v1/v2 agreement of hybrid
// ones. Pure; no I/O. Errors are MetainfoErrors whose `field` names the offending field.

import { type BencodeDict, type BencodeValue, describeValue, isBytes, isDict } from "../bencode/index.ts";
import { MetainfoError, decodeUtf8Strict, toHex } from "../util/index.ts";
import { checkPathComponent } from "./file-paths.ts";
import { BLOCK_SIZE } from "./geometry.ts";
import { MERKLE_HASH_LENGTH, rootFromPieceLayer } from "./merkle.ts";
import type { TorrentFile, V2File } from "./types.ts";

/** BEP 52: the `meta version` of a v2 torrent. */
export const META_VERSION_2 = 2;

function fail(field: string, detail: string): never {
  throw new MetainfoError(field, `${field}: ${detail}`);
}

function got(v: BencodeValue | undefined): string {
  return v === undefined ? "but it is missing" : `got ${describeValue(v)}`;
}

/** A file of the file tree before it is placed among the torrent's files. */
export interface V2TreeFile {
  readonly path: readonly string[];
  readonly lengthBytes: number;
  readonly piecesRoot?: Uint8Array;
}

/** Whether an info dict carries v2 fields (then it is read as v2-only or hybrid). */
export function hasV2Fields(info: BencodeDict): boolean {
  return info.has("meta version") || info.has("file tree");
}

/**
 * `meta version`, the v2 piece length rule and the `file tree`, in tree order (keys sorted, depth
 * first). A tree holding one file at its top is a single-file torrent, whose path is [name].
 */
export function readV2Tree(info: BencodeDict, name: string, pieceLength: number): { files: V2TreeFile[]; multiFile: boolean } {
  const version = info.get("meta version");
  if (version !== META_VERSION_2) fail("info.meta version", `expected 2 (BEP 52), ${got(version)}`);
  if (pieceLength < BLOCK_SIZE || (pieceLength & (pieceLength - 1)) !== 0) {
    fail("info.piece length", `expected a power of two of at least ${BLOCK_SIZE} in a v2 torrent (BEP 52), got ${pieceLength}`);
  }
  const tree = info.get("file tree");
  if (!isDict(tree) || tree.size === 0) fail("info.file tree", `expected a non-empty dictionary, ${got(tree)}`);
  const files: V2TreeFile[] = [];
  walk(tree, [], files);
  const [only] = tree.values();
  const multiFile = !(tree.size === 1 && isDict(only) && only.has(""));
  if (!multiFile) return { files: [{ ...files[0]!, path: [name] }], multiFile };
  return { files, multiFile };
}

function treeField(path: readonly string[]): string {
  return path.length === 0 ? "info.file tree" : `info.file tree[${path.join("/")}]`;
}

function walk(node: BencodeDict, path: string[], out: V2TreeFile[]): void {
  const field = treeField(path);
  if (node.has("")) {
    if (node.size !== 1) fail(field, "a file entry (key \"\") cannot share its dictionary with other keys");
    if (path.length === 0) fail(field, "expected files and directories, got a file entry at the top");
    out.push(readFileEntry(node.get(""), path));
    return;
  }
  if (node.size === 0) fail(field, "expected a file entry or a non-empty directory, got an empty dictionary");
  // Keys are sorted by bytes, as bencode wants them; a creator's order would change nothing else.
  const keys = [...node.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const key of keys) {
    const component = decodeUtf8Strict(Uint8Array.from(key, (ch) => ch.charCodeAt(0)));
    if (component === undefined) fail(field, "expected UTF-8 path components, got invalid UTF-8 bytes");
    const childPath = [...path, component];
    checkPathComponent(component, treeField(childPath));
    const child = node.get(key);
    if (!isDict(child)) fail(treeField(childPath), `expected a dictionary, ${got(child)}`);
    walk(child, childPath, out);
  }
}

function readFileEntry(v: BencodeValue | undefined, path: string[]): V2TreeFile {
  const field = treeField(path);
  if (!isDict(v)) fail(`${field}[""]`, `expected a dictionary with length and pieces root, ${got(v)}`);
  const length = v.get("length");
  if (typeof length !== "number" || length < 0) fail(`${field}.length`, `expected a non-negative integer below 2^53, ${got(length)}`);
  if (length === 0) return { path, lengthBytes: 0 };
  const root = v.get("pieces root");
  if (!isBytes(root) || root.length !== MERKLE_HASH_LENGTH) fail(`${field}.pieces root`, `expected a 32-byte SHA-256 merkle root, ${got(root)}`);
  return { path, lengthBytes: length, piecesRoot: root.slice() };
}

/**
 * A v2-only torrent laid out as its piece indices count (BEP 52: each file starts on a piece boundary):
 * a pad file follows every file that does not end on one, the last included, so every piece is whole on
 * the wire (libtorrent 2.0 requests the last piece of a v2 torrent at full length and serves zeros there).
 */
export function v2Layout(tree: readonly V2TreeFile[], pieceLength: number): { files: TorrentFile[]; v2Files: V2File[] } {
  const files: TorrentFile[] = [];
  const v2Files: V2File[] = [];
  let offsetBytes = 0;
  tree.forEach((f) => {
    v2Files.push({ ...f, fileIndex: files.length });
    files.push({ path: f.path, lengthBytes: f.lengthBytes, offsetBytes, isPad: false });
    offsetBytes += f.lengthBytes;
    const padBytes = (pieceLength - (offsetBytes % pieceLength)) % pieceLength;
    if (padBytes > 0) {
      files.push({ path: [".pad", String(padBytes)], lengthBytes: padBytes, offsetBytes, isPad: true });
      offsetBytes += padBytes;
    }
    if (!Number.isSafeInteger(offsetBytes)) fail("info.file tree", `total length passes 2^53 - 1 bytes at ${treeField(f.path)}`);
  });
  return { files, v2Files };
}

/**
 * A hybrid torrent's v1 files must be its v2 files in the same order with the same lengths, each
 * non-empty one starting on a piece boundary (BEP 47 pad files between them). Returns the v2 files
 * with their index among the v1 files.
 */
export function matchHybridFiles(v1Files: readonly TorrentFile[], tree: readonly V2TreeFile[], pieceLength: number, multiFile: boolean): V2File[] {
  const listField = multiFile ? "info.files" : "info.length";
  const real = v1Files.map((f, fileIndex) => ({ f, fileIndex })).filter(({ f }) => !f.isPad);
  if (real.length !== tree.length) {
    fail(listField, `hybrid torrent: ${real.length} files besides pad files, but info.file tree holds ${tree.length}`);
  }
  return tree.map((t, i) => {
    const { f, fileIndex } = real[i]!;
    const field = multiFile ? `info.files[${fileIndex}]` : "info.length";
    if (f.path.join("/") !== t.path.join("/") || f.lengthBytes !== t.lengthBytes) {
      fail(field, `hybrid torrent: ${f.path.join("/")} (${f.lengthBytes} bytes) differs from ${treeField(t.path)} (${t.lengthBytes} bytes)`);
    }
    if (f.lengthBytes > 0 && f.offsetBytes % pieceLength !== 0) {
      fail(field, `hybrid torrent: ${f.path.join("/")} starts at byte ${f.offsetBytes}, not on a piece boundary (BEP 52 needs pad files)`);
    }
    return { ...t, fileIndex };
  });
}

/**
 * BEP 52 `piece layers`: for each file larger than one piece, its piece layer under its pieces root,
 * one 32-byte hash per piece, hashing up to that root. Other entries are ignored.
 */
export function readPieceLayers(v: BencodeValue | undefined, files: readonly V2File[], pieceLength: number): Map<string, Uint8Array> {
  const field = "piece layers";
  const needed = files.filter((f) => f.lengthBytes > pieceLength);
  if (v === undefined && needed.length === 0) return new Map();
  if (!isDict(v)) fail(field, `expected a dictionary of piece layers by pieces root, ${got(v)}`);
  const layers = new Map<string, Uint8Array>();
  for (const f of needed) {
    const root = f.piecesRoot!;
    const hex = toHex(root);
    if (layers.has(hex)) continue; // identical files share a root and a layer
    const entryField = `${field}[${hex}]`;
    const layer = v.get(String.fromCharCode(...root));
    const pieces = Math.ceil(f.lengthBytes / pieceLength);
    if (!isBytes(layer)) fail(entryField, `expected the piece layer of ${f.path.join("/")}, ${got(layer)}`);
    if (layer.length !== pieces * MERKLE_HASH_LENGTH) {
      fail(entryField, `expected ${pieces * MERKLE_HASH_LENGTH} bytes (${pieces} pieces of ${f.path.join("/")}), got ${layer.length}`);
    }
    if (toHex(rootFromPieceLayer(layer, pieceLength)) !== hex) fail(entryField, `does not hash to the pieces root of ${f.path.join("/")}`);
    layers.set(hex, layer.slice());
  }
  return layers;
}
