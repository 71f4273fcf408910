// Strict .torrent parser: bencoded bytes -> validated Metainfo (BEP 3 metainfo, BEP 12 announce-list,
// BEP 19 url-list, BEP 27 private flag, BEP 47 pad files, BEP 52 v2 and hybrid through parse-v2.ts), and
// a bare info dict fetched by BEP 9. Pure; no I/O.
// Every error is a MetainfoError whose `field` names the offending field and whose message starts with it.

import {
  type BencodeDict,
  type BencodeValue,
  bytesToText,
  decodeBencode,
  decodeWithSpans,
  describeValue,
  isBytes,
  isDict,
} from "../bencode/index.ts";
import { MetainfoError, sha1, sha256, toHex } from "../util/index.ts";
import { PathCollisionChecker, checkPathComponent, isPadFile } from "./file-paths.ts";
import { BLOCK_SIZE } from "./geometry.ts";
import { hasV2Fields, matchHybridFiles, readPieceLayers, readV2Tree, v2Layout } from "./parse-v2.ts";
import type { Metainfo, TorrentFile } from "./types.ts";

/** BEP 3: each entry of `info.pieces` is a 20-byte SHA-1. */
const HASH_LENGTH = 20;

/**
 * Largest accepted `piece length` (256 MiB): the picker keys a block as `piece * 16384 + block`, which
 * allows at most 16384 blocks of BLOCK_SIZE per piece.
 */
export const MAX_PIECE_LENGTH = BLOCK_SIZE * 16384;

function fail(field: string, detail: string): never {
  throw new MetainfoError(field, `${field}: ${detail}`);
}

/** "got the integer 5" or "but it is missing", to finish an "expected ..." clause. */
function got(v: BencodeValue | undefined): string {
  return v === undefined ? "but it is missing" : `got ${describeValue(v)}`;
}

/** Parses and validates a .torrent file. Throws BencodeError for malformed bencode, else MetainfoError. */
export function parseMetainfo(bytes: Uint8Array): Metainfo {
  const { value: top, spans } = decodeWithSpans(bytes);
  if (!isDict(top)) fail("torrent", `expected a dictionary at the top level, ${got(top)}`);
  const info = top.get("info");
  const infoSpan = spans.get("info");
  if (!isDict(info) || infoSpan === undefined) fail("info", `expected a dictionary, ${got(info)}`);
  const comment = optionalText(top, "comment");
  const createdBy = optionalText(top, "created by");
  const creationDate = top.get("creation date");
  const fields = readInfo(info, bytes.slice(infoSpan.start, infoSpan.end));
  const { v2 } = fields;
  return {
    ...fields,
    ...(v2 && { v2: { ...v2, pieceLayers: readPieceLayers(top.get("piece layers"), v2.files, fields.pieceLength) } }),
    announceTiers: readAnnounceTiers(top),
    urlList: readUrlList(top.get("url-list")),
    ...(comment !== undefined && { comment }),
    ...(createdBy !== undefined && { createdBy }),
    ...(typeof creationDate === "number" && { creationDate }),
  };
}

/** What a magnet link adds to an info dictionary fetched from peers (BEP 9): the info dict has no trackers. */
export interface InfoDictionaryExtras {
  announceTiers?: readonly (readonly string[])[];
  /** Used only when the info dict has no `name` (e.g. the magnet's `dn`); else `info.name` wins. */
  name?: string;
  urlList?: readonly string[];
}

/**
 * Validates a raw bencoded info dictionary exactly as parseMetainfo validates `info` (same checks, same
 * fields in errors), with the infoHash taken over `infoBytes` as given. For metadata fetched from peers.
 * Throws BencodeError for malformed bencode (trailing bytes included), else MetainfoError.
 */
export function parseInfoDictionary(infoBytes: Uint8Array, extras: InfoDictionaryExtras = {}): Metainfo {
  const info = decodeBencode(infoBytes);
  if (!isDict(info)) fail("info", `expected a dictionary, ${got(info)}`);
  return {
    ...readInfo(info, infoBytes.slice(), extras.name),
    announceTiers: normalizeTiers(extras.announceTiers ?? []),
    urlList: [...new Set((extras.urlList ?? []).map((u) => u.trim()).filter((u) => u !== ""))],
  };
}

/** Tiers as readAnnounceTiers leaves them: URLs trimmed, blanks and repeats dropped, empty tiers removed. */
function normalizeTiers(tiers: readonly (readonly string[])[]): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const tier of tiers) {
    const urls: string[] = [];
    for (const raw of tier) {
      const url = raw.trim();
      if (url === "" || seen.has(url)) continue;
      seen.add(url);
      urls.push(url);
    }
    if (urls.length > 0) out.push(urls);
  }
  return out;
}

type InfoFields = Omit<Metainfo, "announceTiers" | "urlList" | "comment" | "createdBy" | "creationDate">;

/** The fields of a Metainfo that come from the info dict; `infoBytes` is a copy the Metainfo may keep. */
function readInfo(info: BencodeDict, infoBytes: Uint8Array, fallbackName?: string): InfoFields {
  const useFallback = fallbackName !== undefined && !info.has("name") && !info.has("name.utf-8");
  const nameChoice = useFallback ? { text: fallbackName, field: "info.name" } : preferUtf8Variant(info, "name", "info.name");
  checkPathComponent(nameChoice.text, nameChoice.field);
  const name = nameChoice.text;
  const pieceLength = readPieceLength(info.get("piece length"));
  const tree = hasV2Fields(info) ? readV2Tree(info, name, pieceLength) : undefined;
  if (tree && !info.has("pieces")) return readV2Only(info, infoBytes, name, pieceLength, tree);
  const { files, multiFile } = readFiles(info, name);
  const last = files.at(-1);
  const totalLength = last ? last.offsetBytes + last.lengthBytes : 0;
  if (totalLength === 0) fail("info", "torrent holds no data (total length 0); ripple cannot download an empty torrent");
  const pieceHashes = readPieces(info.get("pieces"), totalLength, pieceLength);
  const infoHash = sha1(infoBytes);
  let v2: Metainfo["v2"];
  if (tree) {
    if (tree.multiFile !== multiFile) {
      fail("info.file tree", `hybrid torrent: the file tree is ${tree.multiFile ? "multi" : "single"}-file, the v1 part is not`);
    }
    const v2Hash = sha256(infoBytes);
    const v2Files = matchHybridFiles(files, tree.files, pieceLength, multiFile);
    v2 = { infoHash: v2Hash, infoHashHex: toHex(v2Hash), hybrid: true, files: v2Files, pieceLayers: new Map() };
  }
  return {
    infoHash,
    infoHashHex: toHex(infoHash),
    infoBytes,
    name,
    pieceLength,
    pieceHashes,
    pieceCount: pieceHashes.length / HASH_LENGTH,
    totalLength,
    files,
    multiFile,
    private: readPrivate(info.get("private")),
    ...(v2 && { v2 }),
  };
}

/** A v2-only torrent (BEP 52): no SHA-1 piece hashes; the wire hash is the SHA-256 truncated to 20 bytes. */
function readV2Only(info: BencodeDict, infoBytes: Uint8Array, name: string, pieceLength: number, tree: ReturnType<typeof readV2Tree>): InfoFields {
  if (info.has("files") || info.has("length")) fail("info.pieces", "missing, though info.files or info.length make this a hybrid torrent");
  const { files, v2Files } = v2Layout(tree.files, pieceLength);
  const last = files.at(-1)!;
  const totalLength = last.offsetBytes + last.lengthBytes;
  if (totalLength === 0) fail("info", "torrent holds no data (total length 0); ripple cannot download an empty torrent");
  const v2Hash = sha256(infoBytes);
  const infoHash = v2Hash.slice(0, 20);
  return {
    infoHash,
    infoHashHex: toHex(infoHash),
    infoBytes,
    name,
    pieceLength,
    pieceHashes: new Uint8Array(0),
    pieceCount: Math.ceil(totalLength / pieceLength),
    totalLength,
    files,
    multiFile: tree.multiFile,
    private: readPrivate(info.get("private")),
    v2: { infoHash: v2Hash, infoHashHex: toHex(v2Hash), hybrid: false, files: v2Files, pieceLayers: new Map() },
  };
}

/** UTF-8 text of a required string field; `<key>.utf-8` wins when it holds valid, non-empty UTF-8. */
function preferUtf8Variant(dict: BencodeDict, key: string, field: string): { text: string; field: string } {
  const variant = bytesToText(dict.get(`${key}.utf-8`));
  if (variant) return { text: variant, field: `${field}.utf-8` };
  return { text: requireText(dict.get(key), field), field };
}

function requireText(v: BencodeValue | undefined, field: string): string {
  if (!isBytes(v)) fail(field, `expected a string, ${got(v)}`);
  const text = bytesToText(v);
  if (text === undefined) fail(field, "expected UTF-8 text, got invalid UTF-8 bytes");
  return text;
}

function readPieceLength(v: BencodeValue | undefined): number {
  const field = "info.piece length";
  if (typeof v !== "number" || v <= 0) fail(field, `expected a positive integer, ${got(v)}`);
  if (v > MAX_PIECE_LENGTH) {
    fail(field, `${v} is above the supported maximum of ${MAX_PIECE_LENGTH} (256 MiB): blocks are keyed as piece * 16384 + block`);
  }
  return v;
}

/** A byte count; the decoder yields bigint past 2^53, which no offset arithmetic here could hold. */
function readLength(v: BencodeValue | undefined, field: string): number {
  if (typeof v !== "number" || v < 0) fail(field, `expected a non-negative integer below 2^53, ${got(v)}`);
  return v;
}

function readFiles(info: BencodeDict, name: string): { files: TorrentFile[]; multiFile: boolean } {
  const length = info.get("length");
  const list = info.get("files");
  if (length !== undefined && list !== undefined) {
    fail("info.files", "a torrent has either info.length (single file) or info.files (multi-file), not both");
  }
  if (list === undefined) {
    if (length === undefined) fail("info.length", "missing: a torrent needs info.length (single file) or info.files (multi-file)");
    const lengthBytes = readLength(length, "info.length");
    return { files: [{ path: [name], lengthBytes, offsetBytes: 0, isPad: false }], multiFile: false };
  }
  if (!Array.isArray(list) || list.length === 0) fail("info.files", `expected a non-empty list of files, ${got(list)}`);
  const collisions = new PathCollisionChecker();
  const files: TorrentFile[] = [];
  let offsetBytes = 0;
  list.forEach((entry, i) => {
    const field = `info.files[${i}]`;
    if (!isDict(entry)) fail(field, `expected a dictionary, ${got(entry)}`);
    const lengthBytes = readLength(entry.get("length"), `${field}.length`);
    const { path, pathField } = readPath(entry, `${field}.path`);
    const attr = entry.get("attr");
    const isPad = isPadFile(isBytes(attr) ? attr : undefined, path);
    // Pad files are never written, and creators name them all alike (".pad/16384"), so they may repeat.
    if (!isPad) collisions.add(path, pathField);
    files.push({ path, lengthBytes, offsetBytes, isPad });
    offsetBytes += lengthBytes;
    if (!Number.isSafeInteger(offsetBytes)) fail("info.files", `total length passes 2^53 - 1 bytes at ${field}`);
  });
  return { files, multiFile: true };
}

/** A file's path components; `path.utf-8` wins when it is a non-empty list of valid UTF-8 strings. */
function readPath(entry: BencodeDict, field: string): { path: string[]; pathField: string } {
  const variant = entry.get("path.utf-8");
  if (Array.isArray(variant) && variant.length > 0) {
    const texts = variant.map(bytesToText);
    if (texts.every((t) => t !== undefined)) return { path: checkComponents(texts, `${field}.utf-8`), pathField: `${field}.utf-8` };
  }
  const raw = entry.get("path");
  if (!Array.isArray(raw) || raw.length === 0) fail(field, `expected a non-empty list of path components, ${got(raw)}`);
  const texts = raw.map((c, j) => requireText(c, `${field}[${j}]`));
  return { path: checkComponents(texts, field), pathField: field };
}

function checkComponents(components: string[], field: string): string[] {
  components.forEach((c, j) => checkPathComponent(c, `${field}[${j}]`));
  return components;
}

function readPieces(v: BencodeValue | undefined, totalLength: number, pieceLength: number): Uint8Array {
  const field = "info.pieces";
  if (!isBytes(v)) fail(field, `expected a string of 20-byte SHA-1 hashes, ${got(v)}`);
  if (v.length % HASH_LENGTH !== 0) fail(field, `length ${v.length} is not a multiple of ${HASH_LENGTH}`);
  const expected = Math.ceil(totalLength / pieceLength);
  const count = v.length / HASH_LENGTH;
  if (count !== expected) {
    fail(field, `holds ${count} hashes, but ${totalLength} bytes in pieces of ${pieceLength} make ${expected} pieces`);
  }
  // A copy, so the Metainfo does not keep the whole .torrent buffer alive.
  return v.slice();
}

/** BEP 27: 1 means private; anything but 0, 1 or absent is refused rather than guessed at. */
function readPrivate(v: BencodeValue | undefined): boolean {
  if (v === undefined || v === 0) return false;
  if (v === 1) return true;
  return fail("info.private", `expected 0 or 1, got ${describeValue(v)}`);
}

/** A tracker URL: a UTF-8 string (else an error); blank ones are dropped (undefined). */
function trackerUrl(v: BencodeValue | undefined, field: string): string | undefined {
  if (v === undefined) return undefined;
  const url = requireText(v, field).trim();
  return url === "" ? undefined : url;
}

/**
 * BEP 12: `announce-list` tiers when at least one holds a URL (then `announce` is ignored), else a
 * single tier of `announce`. A URL appearing twice is kept only where it first appears.
 */
function readAnnounceTiers(top: BencodeDict): string[][] {
  const announce = trackerUrl(top.get("announce"), "announce");
  const list = top.get("announce-list");
  const tiers: string[][] = [];
  if (list !== undefined) {
    if (!Array.isArray(list)) fail("announce-list", `expected a list of tiers, ${got(list)}`);
    const seen = new Set<string>();
    list.forEach((tier, i) => {
      if (!Array.isArray(tier)) fail(`announce-list[${i}]`, `expected a list of URLs, ${got(tier)}`);
      const urls: string[] = [];
      tier.forEach((entry, j) => {
        const url = trackerUrl(entry, `announce-list[${i}][${j}]`);
        if (url !== undefined && !seen.has(url)) {
          seen.add(url);
          urls.push(url);
        }
      });
      if (urls.length > 0) tiers.push(urls);
    });
  }
  if (tiers.length > 0) return tiers;
  return announce === undefined ? [] : [[announce]];
}

/** BEP 19: a string or a list of strings; web seeds are optional, so bad entries are skipped. */
function readUrlList(v: BencodeValue | undefined): string[] {
  const entries = Array.isArray(v) ? v : [v];
  const urls = entries.map((e) => bytesToText(e)?.trim()).filter((u): u is string => !!u);
  return [...new Set(urls)];
}

/** An informational text field (`comment`, `created by`): `<key>.utf-8` first; invalid text is dropped. */
function optionalText(top: BencodeDict, key: string): string | undefined {
  return bytesToText(top.get(`${key}.utf-8`)) ?? bytesToText(top.get(key));
}
