import { describe, expect, test } from "bun:test";
import { decodeResume, encodeResume, type ResumeState } from "../../src/storage/index.ts";
import { encodeBencode } from "../../src/bencode/index.ts";

const infoHash = new Uint8Array(20).fill(7);
const state: ResumeState = {
  infoHash,
  pieceCount: 10,
  have: Uint8Array.from([0b1010_0000, 0b0100_0000]),
  files: [{ sizeBytes: 1234, mtimeMs: 1_700_000_000_123 }, undefined, { sizeBytes: 0, mtimeMs: 5 }],
  savedAtMs: 1_700_000_001_000,
};
const expect3 = { infoHash, pieceCount: 10, fileCount: 3 };

describe("resume file codec", () => {
  test("round trips", () => {
    expect(decodeResume(encodeResume(state), expect3)).toEqual(state);
  });

  test("golden bytes: a bencoded dictionary with documented keys", () => {
    const text = new TextDecoder("latin1").decode(encodeResume(state));
    expect(text.startsWith("d5:filesld5:mtimei1700000000123e4:sizei1234eeded5:mtimei5e4:sizei0eee")).toBe(true);
    expect(text).toContain("6:format15:ripple-resume-1");
    expect(text).toContain("11:piece counti10e");
  });

  const refusals: [string, Uint8Array, RegExp][] = [
    ["truncated", encodeResume(state).subarray(0, 40), /resume file is corrupt/],
    ["garbage", new TextEncoder().encode("not bencode"), /resume file is corrupt/],
    ["a list", encodeBencode([1, 2]), /not a dictionary/],
    ["another format", encodeBencode({ format: "other", "info hash": infoHash }), /format is not ripple-resume-1/],
    ["another torrent", encodeResume({ ...state, infoHash: new Uint8Array(20) }), /another torrent/],
    ["another piece count", encodeResume({ ...state, pieceCount: 11 }), /piece count 11 != 10/],
    ["a short bitfield", encodeResume({ ...state, have: new Uint8Array(1) }), /have is not a 2-byte bitfield/],
    ["another file count", encodeResume({ ...state, files: [undefined] }), /does not list 3 files/],
  ];
  for (const [what, bytes, message] of refusals) {
    test(`refuses ${what}`, () => {
      expect(() => decodeResume(bytes, expect3)).toThrow(message);
    });
  }
});
