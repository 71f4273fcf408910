// Reads and parses a .torrent file named on the command line, with errors fit for one line.

import { RippleError, errorMessage } from "../util/index.ts";
import { parseMetainfo, type Metainfo } from "../metainfo/index.ts";

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
