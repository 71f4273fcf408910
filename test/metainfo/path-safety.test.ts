// The path-safety table: every hostile or awkward file name a torrent may carry, and what ripple does
// with it (refused with the field named, or kept because it is safe where ripple writes).

import { describe, expect, test } from "bun:test";
import { parseMetainfo } from "../../src/metainfo/index.ts";
import { expectRefused } from "../helpers/metainfo-errors.ts";
import { makeTorrentBytes } from "../helpers/torrent-fixture.ts";

const one = new Uint8Array([1]);
const multi = (...paths: string[][]) => makeTorrentBytes({ name: "t", pieceLength: 16384, files: paths.map((path) => ({ path, data: one })) }).torrentBytes;
const single = (name: string) => makeTorrentBytes({ name, pieceLength: 16384, data: one }).torrentBytes;

describe("path safety", () => {
  const refused: [string, Uint8Array, string, RegExp][] = [
    ["a .. component", multi(["..", "escape"]), "info.files[0].path[0]", /"\.\." is not allowed/],
    ["a . component", multi(["a", ".", "b"]), "info.files[0].path[1]", /"\." is not allowed/],
    ["an absolute path (empty first component)", multi(["", "etc", "passwd"]), "info.files[0].path[0]", /empty path component/],
    ["an empty component", multi(["a", "", "b"]), "info.files[0].path[1]", /empty path component/],
    ["a slash inside a component", multi(["a/../../b"]), "info.files[0].path[0]", /contains a slash/],
    ["a drive letter path with a backslash", multi(["C:\\Windows\\x"]), "info.files[0].path[0]", /contains a backslash/],
    ["a NUL byte", multi(["a\0b"]), "info.files[0].path[0]", /contains a NUL byte/],
    ["a component over 255 bytes", multi(["x".repeat(256)]), "info.files[0].path[0]", /256 bytes is longer than 255/],
    ["duplicate paths", multi(["d", "f"], ["d", "f"]), "info.files[1].path", /duplicate|same path/],
    ["a file named like a directory", multi(["d"], ["d", "f"]), "info.files[1].path", /director/],
    ["a name of ..", single(".."), "info.name", /"\.\." is not allowed/],
    ["a name with a slash", single("a/b"), "info.name", /contains a slash/],
  ];
  for (const [what, bytes, field, message] of refused) {
    test(`refuses ${what}`, () => expectRefused(bytes, field, message));
  }

  test("keeps names that are safe on the file systems ripple writes to", () => {
    // A drive letter alone, case-colliding names (distinct files on Linux), 255-byte names, spaces,
    // leading dots and control characters other than NUL are ordinary POSIX names.
    const meta = parseMetainfo(multi(["C:"], ["A.txt"], ["a.txt"], ["y".repeat(255)], [" spaced "], [".hidden"], ["tab\there"]));
    expect(meta.files.map((f) => f.path[0])).toEqual(["C:", "A.txt", "a.txt", "y".repeat(255), " spaced ", ".hidden", "tab\there"]);
  });
});
