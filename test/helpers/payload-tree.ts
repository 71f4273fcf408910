// Test helper: a deterministic multi-file payload, torrent files read back without ripple's parser, and
// torrents made by mktorrent. Test-only.

import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { bdecode, dictGet, getBytes, getNumber, getString, isDict } from "./mini-bencode.ts";
import { seededBytes } from "./random.ts";
import { requireBinary } from "./process.ts";

/** One file of a payload, path relative to the payload root with `/` separators. */
export interface PayloadFile {
  path: string;
  lengthBytes: number;
}

/** A payload made by {@link makePayloadTree}: `dir/name/...`. Seeders take `dataDir: dir`. */
export interface PayloadTree {
  /** The parent directory given to makePayloadTree (the clients' data dir). */
  dir: string;
  /** The torrent name (top-level directory). */
  name: string;
  /** `dir/name`: what mktorrent gets as its source. */
  root: string;
  files: PayloadFile[];
  totalBytes: number;
}


/**
 * Writes a deterministic multi-file payload under `dir/name` (default name "payload"), 118000 bytes.
 * Files in torrent (sorted path) order; with 32 KiB pieces (mktorrent -l 15, its minimum) that is
 * 4 pieces, the last one short, and piece 1 spans 4 non-empty files plus the empty one:
 * - `a-first.bin` 40000 bytes, pseudo-random with a 1000-byte run of NULs at 10000
 * - `b-empty.txt` 0 bytes (Transmission does not create it)
 * - `c-dir/d-nested/mid.dat` 5000 bytes (nested directory)
 * - `c-dir/small file.txt` 3000 bytes of text with NULs and a space in the name
 * - `z-last.bin` 70000 bytes
 */
export async function makePayloadTree(dir: string, options: { name?: string } = {}): Promise<PayloadTree> {
  const name = options.name ?? "payload";
  const root = join(dir, name);
  const first = seededBytes(1)(40_000);
  first.fill(0, 10_000, 11_000);
  const text = new TextEncoder().encode("ripple\0payload\n".repeat(200)).subarray(0, 3000);
  const contents: [string, Uint8Array][] = [
    ["a-first.bin", first],
    ["b-empty.txt", new Uint8Array(0)],
    ["c-dir/d-nested/mid.dat", seededBytes(2)(5000)],
    ["c-dir/small file.txt", text],
    ["z-last.bin", seededBytes(3)(70_000)],
  ];
  for (const [path, data] of contents) {
    const full = join(root, ...path.split("/"));
    await mkdir(join(full, ".."), { recursive: true });
    await writeFile(full, data);
  }
  const files = contents.map(([path, data]) => ({ path, lengthBytes: data.length }));
  return { dir, name, root, files, totalBytes: files.reduce((sum, f) => sum + f.lengthBytes, 0) };
}

/** What a test needs to know about a .torrent file made by another tool. */
export interface TorrentFileInfo {
  path: string;
  /** The raw file bytes. */
  bytes: Uint8Array;
  /** SHA-1 of the raw `info` span, lowercase hex. */
  infoHash: string;
  name: string;
  pieceLength: number;
  pieceCount: number;
  /** In torrent order; a single-file torrent has one entry whose path is the name. */
  files: PayloadFile[];
  totalBytes: number;
}

/** Parses a .torrent with the harness's own decoder (independent of ripple's). */
export async function readTorrentInfo(path: string): Promise<TorrentFileInfo> {
  const bytes = new Uint8Array(await readFile(path));
  const top = bdecode(bytes);
  const span = isDict(top) ? top.spans.get("info") : undefined;
  if (span === undefined) throw new Error(`${path}: no info dict`);
  const info = dictGet(top, "info");
  const infoHash = createHash("sha1").update(bytes.subarray(span[0], span[1])).digest("hex");
  const name = getString(info, "name");
  const pieceLength = getNumber(info, "piece length");
  const pieceCount = getBytes(info, "pieces").length / 20;
  const list = dictGet(info, "files");
  const files: PayloadFile[] = Array.isArray(list)
    ? list.map((f) => {
        const parts = dictGet(f, "path");
        if (!Array.isArray(parts)) throw new Error(`${path}: file path is not a list`);
        const names = parts.map((p) => (p instanceof Uint8Array ? new TextDecoder().decode(p) : "?"));
        return { path: names.join("/"), lengthBytes: getNumber(f, "length") };
      })
    : [{ path: name, lengthBytes: getNumber(info, "length") }];
  return { path, bytes, infoHash, name, pieceLength, pieceCount, files, totalBytes: files.reduce((s, f) => s + f.lengthBytes, 0) };
}

/**
 * Throws unless every file of the torrent exists under `dataDir/<name>` with its full length (a fast,
 * client-independent check before starting a seeder; piece hashes are the client's job).
 */
export async function assertSeedDataPresent(torrentPath: string, dataDir: string): Promise<void> {
  const info = await readTorrentInfo(torrentPath);
  const multi = !(info.files.length === 1 && info.files[0]?.path === info.name);
  const problems: string[] = [];
  for (const f of info.files) {
    const full = multi ? join(dataDir, info.name, ...f.path.split("/")) : join(dataDir, info.name);
    const size = await stat(full).then((st) => st.size, () => undefined);
    if (size !== f.lengthBytes) problems.push(`${full}: ${size === undefined ? "missing" : `${size} bytes`}, torrent says ${f.lengthBytes}`);
  }
  if (problems.length > 0) throw new Error(`seed data does not match ${torrentPath}:\n${problems.join("\n")}`);
}

/** Options for {@link createTorrentWithMktorrent}. */
export interface MktorrentOptions {
  /** File or directory to hash (e.g. `PayloadTree.root`). */
  sourcePath: string;
  /** One or more announce URLs (each becomes its own tier). */
  announceUrl: string | string[];
  /** Piece length as a power of two; mktorrent 1.1 accepts 15..28 (32 KiB minimum). Default 15. */
  pieceLengthLog2?: number;
  outPath: string;
  private?: boolean;
}

/** Runs `mktorrent -d` (no creation date, so the file is reproducible) and returns the parsed result. */
export async function createTorrentWithMktorrent(options: MktorrentOptions): Promise<TorrentFileInfo> {
  requireBinary("mktorrent");
  const urls = Array.isArray(options.announceUrl) ? options.announceUrl : [options.announceUrl];
  const log2 = options.pieceLengthLog2 ?? 15;
  const args = ["mktorrent", "-d", "-l", String(log2), ...urls.flatMap((u) => ["-a", u]), "-o", options.outPath];
  if (options.private) args.push("-p");
  args.push(options.sourcePath);
  await rm(options.outPath, { force: true }); // mktorrent refuses to overwrite
  const proc = Bun.spawn(args, { stdio: ["ignore", "pipe", "pipe"] });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  // mktorrent 1.1 exits 1 with only its banner for an out-of-range -l; say so plainly.
  if (code !== 0) throw new Error(`mktorrent failed (exit ${code}, -l ${log2}): ${args.join(" ")}\n${out}${err}`);
  return readTorrentInfo(options.outPath);
}
