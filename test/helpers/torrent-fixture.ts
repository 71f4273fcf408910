// Test helper: tiny in-memory torrents (info dict, piece hashes, bencoded bytes, parsed Metainfo) over
// deterministic data, and a writer that lays their files out on disk as storage would.
// Pure except writeFixtureFiles; the Metainfo comes from parseMetainfo, so every fixture exercises it.

import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type EncodableValue, encodeBencode } from "../../src/bencode/index.ts";
import { type Metainfo, encodeTorrentV2, hashV2File, hybridLayout, parseMetainfo, v2FileOrder } from "../../src/metainfo/index.ts";
import { concatBytes, sha1 } from "../../src/util/index.ts";
import { mulberry32 } from "./random.ts";

export interface FixtureFile {
  path: string[];
  data: Uint8Array;
  /** BEP 47 pad file (`attr: "p"`): hashed with the rest, never written. */
  pad?: boolean;
}

export interface TorrentFixture {
  torrentBytes: Uint8Array;
  meta: Metainfo;
  /** All files concatenated, in torrent order (pad files included). */
  data: Uint8Array;
  /** The files in torrent order; a single-file torrent has one entry with path [name]. */
  files: FixtureFile[];
}

export interface TorrentFixtureOptions {
  name: string;
  pieceLength: number;
  /** Single-file torrent data (exclusive with `files`). */
  data?: Uint8Array;
  /** Multi-file torrent files in torrent order (exclusive with `data`). */
  files?: FixtureFile[];
  announce?: string;
  announceList?: string[][];
  private?: boolean;
  /** Merged over the generated info dict; an `undefined` value removes that key. */
  extraInfo?: Record<string, EncodableValue | undefined>;
  /** Merged over the generated top-level dict; an `undefined` value removes that key. */
  extraTop?: Record<string, EncodableValue | undefined>;
}

/**
 * The bencoded torrent and its data, without parsing it: for tests of torrents the parser must refuse
 * (build a valid one, then break a field with `extraInfo` / `extraTop`).
 */
export function makeTorrentBytes(opts: TorrentFixtureOptions): Omit<TorrentFixture, "meta"> {
  if ((opts.data === undefined) === (opts.files === undefined)) {
    throw new Error("makeTorrentFixture: pass exactly one of `data` (single file) and `files` (multi-file)");
  }
  const files: FixtureFile[] = opts.files ?? [{ path: [opts.name], data: opts.data! }];
  const data = concatBytes(files.map((f) => f.data));
  const info: Record<string, EncodableValue | undefined> = {
    name: opts.name,
    "piece length": opts.pieceLength,
    pieces: pieceHashes(data, opts.pieceLength),
    ...(opts.files === undefined
      ? { length: data.length }
      : { files: files.map((f) => ({ length: f.data.length, path: f.path, ...(f.pad && { attr: "p" }) })) }),
    ...(opts.private && { private: 1 }),
    ...opts.extraInfo,
  };
  const top: Record<string, EncodableValue | undefined> = {
    announce: opts.announce,
    "announce-list": opts.announceList,
    "created by": "ripple test fixture",
    info,
    ...opts.extraTop,
  };
  return { torrentBytes: encodeBencode(top), data, files };
}

/** A valid torrent over the given data, parsed by parseMetainfo (which throws if the fixture is bad). */
export function makeTorrentFixture(opts: TorrentFixtureOptions): TorrentFixture {
  const built = makeTorrentBytes(opts);
  return { ...built, meta: parseMetainfo(built.torrentBytes) };
}

/** BEP 3 `pieces`: the SHA-1 of each pieceLength slice of the data, the last one possibly short. */
export function pieceHashes(data: Uint8Array, pieceLength: number): Uint8Array {
  const hashes: Uint8Array[] = [];
  for (let start = 0; start < data.length; start += pieceLength) {
    hashes.push(sha1(data.subarray(start, start + pieceLength)));
  }
  return concatBytes(hashes);
}

/**
 * Deterministic pseudo-random bytes (mulberry32 seeded by `seed`); about one byte in eight is NUL, so
 * code that treats data as text or C strings gets caught.
 */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  const next = mulberry32(seed ^ 0x9e3779b9);
  for (let i = 0; i < length; i++) {
    const t = next() * 4294967296;
    out[i] = (t & 7) === 0 ? 0 : t >>> 24;
  }
  return out;
}

/** Writes the fixture's non-pad files under `dir` as storage lays them out: dir/name or dir/name/path... */
export async function writeFixtureFiles(fixture: TorrentFixture, dir: string): Promise<void> {
  for (const file of fixture.files) {
    if (file.pad) continue;
    const path = fixture.meta.multiFile ? join(dir, fixture.meta.name, ...file.path) : join(dir, fixture.meta.name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.data);
  }
}

export interface V2FixtureOptions {
  name: string;
  /** A power of two, at least 16 KiB. */
  pieceLength: number;
  /** Single-file data (exclusive with `files`). */
  data?: Uint8Array;
  /** Multi-file files, any order: they are put in file tree order. */
  files?: FixtureFile[];
  /** Also a v1 torrent, with pad files aligning each file to a piece (libtorrent's layout). */
  hybrid?: boolean;
  announce?: string;
}

/**
 * A BEP 52 v2-only or hybrid torrent through ripple's own creation code, parsed. `files` and `data` are
 * in torrent order as the wire carries them: pad files (zeros) included, explicit (hybrid) or implied by
 * the piece alignment (v2-only).
 */
export function makeV2TorrentFixture(opts: V2FixtureOptions): TorrentFixture {
  const multiFile = opts.files !== undefined;
  const given = v2FileOrder(opts.files ?? [{ path: [opts.name], data: opts.data! }]);
  const hashed = given.map((f) => hashV2File(f.path, f.data, opts.pieceLength));
  const layout = hybridLayout(given.map((f) => ({ path: f.path, lengthBytes: f.data.length })), opts.pieceLength, multiFile);
  const v1Data = concatBytes(layout.map((e) => (e.isPad ? new Uint8Array(e.lengthBytes) : given.find((f) => f.path === e.path)!.data)));
  const torrentBytes = encodeTorrentV2({
    name: opts.name,
    multiFile,
    files: hashed,
    pieceLength: opts.pieceLength,
    ...(opts.hybrid && { v1PieceHashes: pieceHashes(v1Data, opts.pieceLength) }),
    createdBy: "ripple test fixture",
    ...(opts.announce !== undefined && { trackerTiers: [[opts.announce]] }),
  });
  const meta = parseMetainfo(torrentBytes);
  const files: FixtureFile[] = meta.files.map((f, i) =>
    f.isPad ? { path: [...f.path], data: new Uint8Array(f.lengthBytes), pad: true } : { path: [...f.path], data: given[meta.v2!.files.findIndex((v) => v.fileIndex === i)]!.data },
  );
  return { torrentBytes, meta, data: concatBytes(files.map((f) => f.data)), files };
}
