import { describe, expect, test } from "bun:test";
import { isUsableWebSeed, webSeedFileUrl } from "../../src/webseed/index.ts";

describe("webSeedFileUrl (BEP 19)", () => {
  const single = { name: "file name.iso", multiFile: false };
  const multi = { name: "my torrent", multiFile: true };
  test.each([
    ["single file, URL of the file itself", "http://h/x/file.iso", single, ["file name.iso"], "http://h/x/file.iso"],
    ["single file, URL ending in / gets the name", "http://h/x/", single, ["file name.iso"], "http://h/x/file%20name.iso"],
    ["multi-file: base / name / path", "http://h/x/", multi, ["a", "b.bin"], "http://h/x/my%20torrent/a/b.bin"],
    ["multi-file, no trailing slash: one is added", "http://h/x", multi, ["b.bin"], "http://h/x/my%20torrent/b.bin"],
    ["components are percent-encoded (UTF-8), separators kept", "http://h/", multi, ["dir #1", "é?&%.txt"], "http://h/my%20torrent/dir%20%231/%C3%A9%3F%26%25.txt"],
    ["a query on a single-file URL is kept", "http://h/get?id=7", single, ["file name.iso"], "http://h/get?id=7"],
  ] as const)("%s", (_what, base, layout, path, expected) => {
    expect(webSeedFileUrl(base, layout, path)).toBe(expected);
  });
});

describe("isUsableWebSeed", () => {
  test.each([
    ["http://127.0.0.1:8080/", true],
    ["https://127.0.0.1/x", true],
    ["ftp://host/file", false],
    ["not a url", false],
    ["/relative/path", false],
    ["http://", false],
  ] as const)("%s -> %p", (url, usable) => {
    expect(isUsableWebSeed(url)).toBe(usable);
  });
});
