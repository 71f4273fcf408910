import { describe, expect, test } from "bun:test";
import type { TorrentFile } from "../../src/metainfo/index.ts";
import { backoffDelayMs, contentRangeProblem, rangeHeader, webSeedRanges } from "../../src/webseed/index.ts";

/** Files from lengths; "p" marks a BEP 47 pad file. */
function files(...specs: (number | [number, "p"])[]): TorrentFile[] {
  let offset = 0;
  return specs.map((spec, i) => {
    const [lengthBytes, pad] = typeof spec === "number" ? [spec, false] : [spec[0], true];
    const file = { path: [`f${i}`], lengthBytes, offsetBytes: offset, isPad: pad };
    offset += lengthBytes;
    return file;
  });
}

describe("webSeedRanges: a run of torrent bytes split into file ranges", () => {
  test.each([
    ["one file, inside it", files(100), 10, 20, [[0, 10, 20, 0, false]]],
    ["spanning three files, empty ones skipped", files(10, 0, 5, 0, 30), 8, 10, [[0, 8, 2, 0, false], [2, 0, 5, 2, false], [4, 0, 3, 7, false]]],
    ["a pad file is marked, not fetched", files(10, [6, "p"], 16), 4, 20, [[0, 4, 6, 0, false], [1, 0, 6, 6, true], [2, 0, 8, 12, false]]],
    ["the whole torrent", files(3, 4), 0, 7, [[0, 0, 3, 0, false], [1, 0, 4, 3, false]]],
    ["starting exactly at a file boundary", files(3, 4, 5), 7, 5, [[2, 0, 5, 0, false]]],
  ] as const)("%s", (_what, list, start, length, expected) => {
    const got = webSeedRanges(list, start, length).map((r) => [r.fileIndex, r.fileOffset, r.lengthBytes, r.runOffset, r.pad]);
    expect(got).toEqual(expected.map((r) => [...r]));
    expect(webSeedRanges(list, start, length).reduce((n, r) => n + r.lengthBytes, 0)).toBe(length);
  });
});

describe("Range and Content-Range", () => {
  test("the Range header names inclusive bytes", () => {
    expect(rangeHeader(0, 1)).toBe("bytes=0-0");
    expect(rangeHeader(16384, 32768)).toBe("bytes=16384-49151");
  });

  test.each([
    ["bytes 100-199/1000", undefined],
    ["bytes 100-199/*", undefined],
    [null, undefined],
    ["bytes 0-199/1000", "does not match"],
    ["bytes 100-150/1000", "does not match"],
    ["items 100-199/1000", "does not match"],
  ] as const)("%p", (header, problem) => {
    const got = contentRangeProblem(header, 100, 100);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });
});

describe("backoffDelayMs", () => {
  test.each([
    [0, 0],
    [1, 2000],
    [2, 4000],
    [3, 8000],
    [8, 256_000],
    [9, 300_000],
    [1000, 300_000],
  ])("after %i failures: %i ms", (failures, ms) => {
    expect(backoffDelayMs(failures)).toBe(ms);
  });
});
