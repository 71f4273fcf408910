// Test helper: the small torrents the metainfo parser tests start from (a single-file and a multi-file
// one), built with extra info/top-level keys, and the raw info bytes read back by an independent decoder.

import type { EncodableValue } from "../../src/bencode/index.ts";
import { bdecode, isDict } from "./mini-bencode.ts";
import { makeTorrentBytes, patternBytes, type TorrentFixtureOptions } from "./torrent-fixture.ts";
/** 40 bytes in pieces of 16: two full pieces and a short one of 8. */
export const SINGLE: TorrentFixtureOptions = { name: "single.bin", pieceLength: 16, data: patternBytes(40, 1) };
export const MULTI: TorrentFixtureOptions = {
  name: "multi",
  pieceLength: 16,
  files: [
    { path: ["a.bin"], data: patternBytes(10, 2) },
    { path: ["dir", "b.bin"], data: patternBytes(30, 3) },
  ],
};

export type Extra = Record<string, EncodableValue | undefined>;
export const single = (extraInfo: Extra = {}, extraTop: Extra = {}) => makeTorrentBytes({ ...SINGLE, extraInfo, extraTop }).torrentBytes;
export const multi = (extraInfo: Extra = {}, extraTop: Extra = {}) => makeTorrentBytes({ ...MULTI, extraInfo, extraTop }).torrentBytes;
export const bytesOf = (...values: number[]) => new Uint8Array(values);
export const INVALID_UTF8 = bytesOf(0x66, 0xff, 0x6f);

/** The raw `info` bytes located by an independent decoder (test/helpers/mini-bencode.ts). */
export function rawInfo(torrent: Uint8Array): Uint8Array {
  const top = bdecode(torrent);
  if (!isDict(top)) throw new Error("top level is not a dict");
  const [start, end] = top.spans.get("info")!;
  return torrent.subarray(start, end);
}
