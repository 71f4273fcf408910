// Reads what a command line names: a .torrent file, or a magnet link (recognised by "magnet:?"), with
// errors fit for one line. A bad torrent or magnet keeps its error code (METAINFO -> exit 3).

import { RippleError, errorMessage } from "../util/index.ts";
import { isMagnetUri, parseMagnet, parseMetainfo, type Magnet, type Metainfo } from "../metainfo/index.ts";

/** A parsed command-line source: a whole torrent, or a magnet link whose metadata is still to fetch. */
export type TorrentSource = { kind: "torrent"; meta: Metainfo } | { kind: "magnet"; magnet: Magnet };

export async function loadTorrentFile(path: string): Promise<Metainfo> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await Bun.file(path).arrayBuffer());
  } catch (err) {
    const code = (err as { code?: string }).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : errorMessage(err);
    throw new RippleError("TORRENT_FILE", `cannot read torrent file ${path}: ${reason}`, { cause: err });
  }
  try {
    return parseMetainfo(bytes);
  } catch (err) {
    if (err instanceof RippleError) {
      throw new RippleError(err.code, `invalid torrent file ${path}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** A magnet link when `arg` starts with "magnet:?", else the .torrent file at path `arg`. */
export async function loadTorrentSource(arg: string): Promise<TorrentSource> {
  if (!isMagnetUri(arg)) return { kind: "torrent", meta: await loadTorrentFile(arg) };
  try {
    return { kind: "magnet", magnet: parseMagnet(arg) };
  } catch (err) {
    if (err instanceof RippleError) throw new RippleError(err.code, `invalid magnet link: ${err.message}`, { cause: err });
    throw err;
  }
}
