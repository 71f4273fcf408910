// Torrent creation: file list + piece length + piece hashes -> bencoded .torrent (BEP 3 metainfo, BEP 12
// announce-list, BEP 19 url-list, BEP 27 private), the automatic piece length rule, option parsing.
// Pure; no I/O (reading and hashing the files is storage/create-files.ts).

import { type EncodableValue, encodeBencode } from "../bencode/index.ts";
import { MetainfoError, RippleError } from "../util/index.ts";
import { VERSION } from "../version.ts";
import { checkPathComponent } from "./file-paths.ts";
import { BLOCK_SIZE } from "./geometry.ts";
import { MAX_PIECE_LENGTH } from "./parse.ts";
import { encodePieceLayers, encodeRawDict } from "./raw-dict.ts";

/** The `created by` field ripple writes (outside `info`, so it never changes the infoHash). */
export const CREATED_BY = `ripple/${VERSION}`;

/** BEP 3: each entry of `info.pieces` is a 20-byte SHA-1. */
const HASH_LENGTH = 20;

/** Bounds of {@link autoPieceLength}: one block (16 KiB) to 16 MiB. */
export const AUTO_MIN_PIECE_LENGTH = BLOCK_SIZE;
export const AUTO_MAX_PIECE_LENGTH = 16 * 1024 * 1024;
/** {@link autoPieceLength} picks the smallest piece length that keeps the count at or below this. */
export const AUTO_MAX_PIECES = 2048;

/** One file of a torrent being created, in torrent order. */
export interface CreateFileEntry {
  /** Path components below the torrent's root; for a single-file torrent, ignored (the name is used). */
  readonly path: readonly string[];
  readonly lengthBytes: number;
}

/** Everything that goes into the `info` dictionary, hence into the infoHash. */
export interface TorrentContent {
  readonly name: string;
  /** true: `info.files` (a directory, even one holding a single file); false: `info.length` of files[0]. */
  readonly multiFile: boolean;
  readonly files: readonly CreateFileEntry[];
  readonly pieceLength: number;
  /** Concatenated 20-byte SHA-1 hashes of the pieces, in order. */
  readonly pieceHashes: Uint8Array;
  /** BEP 27: written as `private: 1`; left out when false. */
  readonly private?: boolean;
}

/** Top-level fields outside `info`. */
export interface TorrentExtras {
  /** BEP 12 tiers; the first URL becomes `announce`, `announce-list` is written when there is more than one URL. */
  readonly trackerTiers?: readonly (readonly string[])[];
  /** BEP 19 web seeds, written as a list in `url-list`. */
  readonly webSeeds?: readonly string[];
  readonly comment?: string;
  /** Default {@link CREATED_BY}. */
  readonly createdBy?: string;
  /** Unix seconds; left out when undefined (mktorrent's `-d`). */
  readonly creationDate?: number;
}

export type CreateTorrentOptions = TorrentContent & TorrentExtras;

function fail(field: string, detail: string): never {
  throw new MetainfoError(field, `${field}: ${detail}`);
}

/** Whether `n` is a power of two (as a safe integer). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** Throws a MetainfoError (field `info.name`) unless `name` is usable as one path segment on disk. */
export function checkTorrentName(name: string): void {
  checkPathComponent(name, "info.name");
}

/**
 * The `info` dictionary (BEP 3) for `content`: name, piece length, pieces, length or files, private.
 * Throws a MetainfoError naming the field when the content could not make a torrent ripple would parse.
 */
export function buildInfo(content: TorrentContent): Record<string, EncodableValue> {
  checkTorrentName(content.name);
  const { pieceLength, files } = content;
  if (!isPowerOfTwo(pieceLength) || pieceLength < BLOCK_SIZE || pieceLength > MAX_PIECE_LENGTH) {
    fail("info.piece length", `expected a power of two from ${BLOCK_SIZE} to ${MAX_PIECE_LENGTH}, got ${pieceLength}`);
  }
  if (!content.multiFile && files.length !== 1) fail("info.length", `a single-file torrent needs exactly one file, got ${files.length}`);
  if (content.multiFile && files.length === 0) fail("info.files", "a multi-file torrent needs at least one file");
  let totalBytes = 0;
  files.forEach((f, i) => {
    if (!Number.isSafeInteger(f.lengthBytes) || f.lengthBytes < 0) fail(`info.files[${i}].length`, `expected a non-negative integer, got ${f.lengthBytes}`);
    if (content.multiFile) {
      if (f.path.length === 0) fail(`info.files[${i}].path`, "expected at least one path component");
      f.path.forEach((c, j) => checkPathComponent(c, `info.files[${i}].path[${j}]`));
    }
    totalBytes += f.lengthBytes;
  });
  if (totalBytes === 0) fail("info", "the files hold no data (total length 0); a torrent needs at least one byte");
  const expected = Math.ceil(totalBytes / pieceLength) * HASH_LENGTH;
  if (content.pieceHashes.length !== expected) {
    fail("info.pieces", `expected ${expected} bytes of hashes for ${totalBytes} bytes in pieces of ${pieceLength}, got ${content.pieceHashes.length}`);
  }
  return {
    name: content.name,
    "piece length": pieceLength,
    pieces: content.pieceHashes,
    ...(content.multiFile
      ? { files: files.map((f) => ({ length: f.lengthBytes, path: [...f.path] })) }
      : { length: files[0]!.lengthBytes }),
    ...(content.private && { private: 1 }),
  };
}

/** The bencoded .torrent file: `info` from {@link buildInfo} plus trackers, web seeds, comment, dates. */
export function encodeTorrent(options: CreateTorrentOptions): Uint8Array {
  return encodeBencode({ ...topLevelFields(options), info: buildInfo(options) });
}

/** The top-level fields besides `info` (and BEP 52's `piece layers`); undefined ones are left out. */
export function topLevelFields(options: TorrentExtras): Record<string, EncodableValue | undefined> {
  const tiers = (options.trackerTiers ?? []).map((t) => [...t]).filter((t) => t.length > 0);
  const urls = tiers.flat();
  const webSeeds = options.webSeeds ?? [];
  const { creationDate } = options;
  if (creationDate !== undefined && (!Number.isSafeInteger(creationDate) || creationDate < 0)) {
    fail("creation date", `expected non-negative Unix seconds, got ${creationDate}`);
  }
  return {
    announce: urls[0],
    // BEP 12: only worth writing when there is a second tracker to fall back to (as mktorrent does).
    "announce-list": urls.length > 1 ? tiers : undefined,
    comment: options.comment === "" ? undefined : options.comment,
    "created by": options.createdBy ?? CREATED_BY,
    "creation date": creationDate,
    "url-list": webSeeds.length > 0 ? [...webSeeds] : undefined,
  };
}

/**
 * Piece length chosen for `totalBytes`: the smallest power of two from 16 KiB to 16 MiB that makes at
 * most 2048 pieces. Torrents from 32 MiB to 32 GiB thus get 1025-2048 pieces (at most 40 KiB of hashes
 * in the .torrent); smaller ones get 16 KiB pieces, larger ones 16 MiB pieces and more than 2048 of them.
 */
export function autoPieceLength(totalBytes: number): number {
  let length = AUTO_MIN_PIECE_LENGTH;
  while (length < AUTO_MAX_PIECE_LENGTH && Math.ceil(totalBytes / length) > AUTO_MAX_PIECES) length *= 2;
  return length;
}

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/**
 * Parses a piece length option: "auto", a byte count ("262144") or a binary size ("256K", "256KiB",
 * "1M", "1m"). It must be a power of two from 16 KiB to 256 MiB. Throws RippleError("USAGE") naming `option`.
 */
export function parsePieceLength(text: string, option = "--piece-length"): number | "auto" {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === "auto") return "auto";
  const m = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(trimmed);
  const value = m ? Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]! : NaN;
  if (!isPowerOfTwo(value) || value < BLOCK_SIZE || value > MAX_PIECE_LENGTH) {
    throw new RippleError("USAGE", `${option}: expected "auto" or a power of two from 16K to 256M (e.g. 256K, 1M, 262144), got "${text}"`);
  }
  return value;
}

/** Tracker URL schemes ripple can announce to (BEP 3 HTTP, BEP 15 UDP). */
const TRACKER_SCHEMES = new Set(["http:", "https:", "udp:"]);
const WEB_SEED_SCHEMES = new Set(["http:", "https:"]);

/** Throws RippleError("USAGE") naming `option` unless `text` is an absolute URL with a host and an allowed scheme. */
function checkUrl(text: string, option: string, schemes: ReadonlySet<string>, expected: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // Not a URL at all; reported below with the same message as a wrong scheme.
    url = undefined;
  }
  if (url === undefined || !schemes.has(url.protocol) || url.hostname === "") {
    throw new RippleError("USAGE", `${option}: expected ${expected} URL, got "${text}"`);
  }
  if (url.protocol === "udp:" && url.port === "") {
    throw new RippleError("USAGE", `${option}: a udp:// tracker URL needs a port (e.g. udp://tracker.example:6969/announce), got "${text}"`);
  }
  return text;
}

/**
 * BEP 12 tiers from repeated `--tracker` values: each value is one tier, and commas inside a value
 * separate trackers of the same tier (mktorrent's `-a a,b -a c`). A URL seen before is dropped.
 */
export function parseTrackerTiers(values: readonly string[], option = "--tracker"): string[][] {
  const seen = new Set<string>();
  const tiers: string[][] = [];
  for (const value of values) {
    if (value.trim() === "") throw new RippleError("USAGE", `${option}: expected a tracker URL, got an empty value`);
    const tier = value
      .split(",")
      .map((u) => u.trim())
      .filter((u) => u !== "")
      .map((u) => checkUrl(u, option, TRACKER_SCHEMES, "an http://, https:// or udp://"))
      .filter((u) => !seen.has(u) && seen.add(u));
    if (tier.length > 0) tiers.push(tier);
  }
  return tiers;
}

/** BEP 19 web seed URLs (http or https), duplicates dropped. */
export function parseWebSeeds(values: readonly string[], option = "--web-seed"): string[] {
  return [...new Set(values.map((v) => checkUrl(v.trim(), option, WEB_SEED_SCHEMES, "an http:// or https://")))];
}

/**
 * A .torrent around info bytes fetched from peers (a magnet's metadata): the `info` value is embedded
 * byte for byte, so the file's infoHash is the magnet's; BEP 52 `piece layers` (by hex pieces root)
 * are written when given. Keys are sorted as bytes.
 */
export function torrentFileFromInfo(
  infoBytes: Uint8Array,
  options: { trackerTiers?: readonly (readonly string[])[]; webSeeds?: readonly string[]; pieceLayers?: ReadonlyMap<string, Uint8Array> } = {},
): Uint8Array {
  const tiers = (options.trackerTiers ?? []).map((t) => [...t]).filter((t) => t.length > 0);
  const urls = tiers.flat();
  const webSeeds = options.webSeeds ?? [];
  const entries: [string, Uint8Array][] = [["created by", encodeBencode(CREATED_BY)], ["info", infoBytes]];
  if (urls[0] !== undefined) entries.push(["announce", encodeBencode(urls[0])]);
  if (urls.length > 1) entries.push(["announce-list", encodeBencode(tiers)]);
  if (webSeeds.length > 0) entries.push(["url-list", encodeBencode([...webSeeds])]);
  if (options.pieceLayers && options.pieceLayers.size > 0) entries.push(["piece layers", encodePieceLayers(options.pieceLayers)]);
  return encodeRawDict(entries);
}
