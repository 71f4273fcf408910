import { describe, expect, test } from "bun:test";
import { resolve, sep } from "node:path";
import type { EncodableValue } from "../../src/bencode/index.ts";
import { parseMetainfo } from "../../src/metainfo/index.ts";
import { filePaths } from "../../src/storage/index.ts";
import { expectRefused } from "../helpers/metainfo-errors.ts";
import { makeTorrentBytes, makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const single = (name: EncodableValue, extraInfo: Record<string, EncodableValue> = {}) =>
  makeTorrentBytes({ name: "x", pieceLength: 16, data: patternBytes(20, 1), extraInfo: { name, ...extraInfo } }).torrentBytes;

/** A multi-file torrent whose info.files is given raw (lengths sum to anything; pieces follow). */
function withFiles(files: { length?: number; path?: EncodableValue; "path.utf-8"?: EncodableValue; attr?: EncodableValue }[]): Uint8Array {
  const entries = files.map((f) => ({ length: 4, ...f }));
  const total = entries.reduce((n, f) => n + f.length, 0);
  return makeTorrentBytes({ name: "root", pieceLength: 16, data: patternBytes(total, 2), extraInfo: { length: undefined, files: entries } }).torrentBytes;
}

describe("info.name is one safe path component", () => {
  const hostile: [string, string, RegExp][] = [
    ["empty", "", /empty path component/],
    ["dot", ".", /"\." is not allowed as a path component/],
    ["dot-dot", "..", /"\.\." is not allowed as a path component/],
    ["a path with a slash", "a/b", /path component "a\/b" contains a slash/],
    ["absolute", "/etc/passwd", /contains a slash/],
    ["a Windows traversal", "..\\..\\x", /contains a backslash/],
    ["a NUL byte", "a\0b", /contains a NUL byte/],
  ];
  for (const [what, name, message] of hostile) {
    test(`refuses a name that is ${what}`, () => expectRefused(single(name), "info.name", message));
  }

  test("refuses a hostile name.utf-8, naming that field", () => {
    expectRefused(single("fine", { "name.utf-8": ".." }), "info.name.utf-8", /"\.\." is not allowed/);
  });

  test("keeps control characters other than NUL, dots inside names and leading dots", () => {
    for (const name of ["tab\there", "...", ".hidden", "a..b", "bell\x07"]) {
      expect(parseMetainfo(single(name)).name).toBe(name);
    }
  });
});

describe("info.files[i].path components", () => {
  const hostile: [string, string[], string, RegExp][] = [
    ["dot-dot", [".."], "info.files[1].path[0]", /"\.\." is not allowed as a path component/],
    ["a dot-dot deeper down", ["a", "..", "..", "etc"], "info.files[1].path[1]", /"\.\."/],
    ["dot", ["a", "."], "info.files[1].path[1]", /"\."/],
    ["/etc/passwd as one component", ["/etc/passwd"], "info.files[1].path[0]", /"\/etc\/passwd" contains a slash/],
    ["absolute, as a leading empty component", ["", "etc", "passwd"], "info.files[1].path[0]", /empty path component/],
    ["an empty last component", ["dir", ""], "info.files[1].path[1]", /empty path component/],
    ["a backslash", ["..\\..\\evil"], "info.files[1].path[0]", /contains a backslash/],
    ["a NUL byte", ["a\0.txt"], "info.files[1].path[0]", /contains a NUL byte/],
  ];
  for (const [what, path, field, message] of hostile) {
    test(`refuses a path with ${what}`, () => expectRefused(withFiles([{ path: ["ok"] }, { path }]), field, message));
  }

  test("refuses a missing, empty or non-list path", () => {
    expectRefused(withFiles([{ path: undefined }]), "info.files[0].path", /expected a non-empty list of path components, but it is missing/);
    expectRefused(withFiles([{ path: [] }]), "info.files[0].path", /got a list of 0/);
    expectRefused(withFiles([{ path: "a/b" }]), "info.files[0].path", /got a 3-byte string/);
  });

  test("refuses a component that is not a UTF-8 string", () => {
    expectRefused(withFiles([{ path: ["a", 5] }]), "info.files[0].path[1]", /expected a string, got the integer 5/);
    expectRefused(withFiles([{ path: [new Uint8Array([0xc3])] }]), "info.files[0].path[0]", /expected UTF-8 text/);
  });

  test("path.utf-8 wins when it is a list of valid UTF-8 strings", () => {
    const meta = parseMetainfo(withFiles([{ path: [new Uint8Array([0xe9])], "path.utf-8": ["é"] }]));
    expect(meta.files[0]!.path).toEqual(["é"]);
  });

  test("an unusable path.utf-8 falls back to path", () => {
    const meta = parseMetainfo(withFiles([
      { path: ["a"], "path.utf-8": [new Uint8Array([0xff])] },
      { path: ["b"], "path.utf-8": "b" },
      { path: ["c"], "path.utf-8": [] },
    ]));
    expect(meta.files.map((f) => f.path)).toEqual([["a"], ["b"], ["c"]]);
  });

  test("a hostile path.utf-8 is refused, naming that field", () => {
    expectRefused(withFiles([{ path: ["safe"], "path.utf-8": ["..", "x"] }]), "info.files[0].path.utf-8[0]", /"\.\."/);
  });

  test("every path the parser accepts stays inside the output directory", () => {
    const meta = parseMetainfo(withFiles([{ path: ["...", "a..b"] }, { path: [".hidden"] }, { path: ["x", "y", "z"] }]));
    const out = resolve("/tmp/ripple-out");
    for (const p of filePaths(meta, out)) expect(p.startsWith(out + sep + "root" + sep)).toBe(true);
  });
});

describe("files that would collide on disk", () => {
  test("refuses a duplicate path, naming both entries", () => {
    expectRefused(withFiles([{ path: ["d", "a"] }, { path: ["b"] }, { path: ["d", "a"] }]), "info.files[2].path", /duplicate path "d\/a" \(also in info\.files\[0\]\.path\)/);
  });

  test("refuses a path that is a file and also a directory of a later file", () => {
    expectRefused(withFiles([{ path: ["a"] }, { path: ["a", "b"] }]), "info.files[1].path", /"a" is a file in info\.files\[0\]\.path and a directory here/);
  });

  test("refuses a path that is a directory of an earlier file and a file here", () => {
    expectRefused(withFiles([{ path: ["a", "b", "c"] }, { path: ["a", "b"] }]), "info.files[1].path", /"a\/b" is a file here and a directory of other files/);
  });

  test("compares paths case-sensitively, like the file system does", () => {
    expect(parseMetainfo(withFiles([{ path: ["A"] }, { path: ["a"] }])).files).toHaveLength(2);
  });

  test("the same name in different directories is fine", () => {
    expect(parseMetainfo(withFiles([{ path: ["x", "f"] }, { path: ["y", "f"] }, { path: ["f"] }])).files).toHaveLength(3);
  });

  test("a collision through path.utf-8 names that field", () => {
    expectRefused(withFiles([{ path: ["a"] }, { path: ["b"], "path.utf-8": ["a"] }]), "info.files[1].path.utf-8", /duplicate path "a"/);
  });
});

describe("pad files (BEP 47)", () => {
  test("attr containing p marks a pad file, counted in the geometry", () => {
    const meta = parseMetainfo(withFiles([{ path: ["a"], length: 10 }, { path: [".pad", "6"], length: 6, attr: "p" }, { path: ["b"], length: 4, attr: "xh" }]));
    expect(meta.files.map((f) => f.isPad)).toEqual([false, true, false]);
    expect(meta.files[2]!.offsetBytes).toBe(16);
    expect(meta.totalLength).toBe(20);
  });

  test("p is found among other attribute letters", () => {
    expect(parseMetainfo(withFiles([{ path: ["a"] }, { path: [".pad", "4"], attr: "hp" }])).files[1]!.isPad).toBe(true);
  });

  test("BitComet's legacy padding file name marks a pad file", () => {
    const name = "_____padding_file_0_if you see this file, please update to BitComet 0.85 or above____";
    expect(parseMetainfo(withFiles([{ path: ["a"] }, { path: [name] }])).files[1]!.isPad).toBe(true);
  });

  test("pad files may share a path with each other and with a real file", () => {
    const meta = parseMetainfo(withFiles([
      { path: ["a"] },
      { path: [".pad", "4"], attr: "p" },
      { path: ["b"] },
      { path: [".pad", "4"], attr: "p" },
      { path: [".pad"] },
    ]));
    expect(meta.files.filter((f) => f.isPad)).toHaveLength(2);
  });

  test("pad file paths must still be safe", () => {
    expectRefused(withFiles([{ path: ["a"] }, { path: ["..", "4"], attr: "p" }]), "info.files[1].path[0]", /"\.\."/);
  });

  test("a non-string attr is ignored", () => {
    expect(parseMetainfo(withFiles([{ path: ["a"], attr: 1 }])).files[0]!.isPad).toBe(false);
  });

  test("the fixture helper writes attr p for pad files", () => {
    const fx = makeTorrentFixture({
      name: "padded",
      pieceLength: 16,
      files: [
        { path: ["a"], data: patternBytes(10, 1) },
        { path: [".pad", "6"], data: new Uint8Array(6), pad: true },
        { path: ["b"], data: patternBytes(16, 2) },
      ],
    });
    expect(fx.meta.files.map((f) => [f.path.join("/"), f.isPad, f.offsetBytes])).toEqual([["a", false, 0], [".pad/6", true, 10], ["b", false, 16]]);
  });
});
