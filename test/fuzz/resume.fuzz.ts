// Fuzz targets for the resume file codec (storage/resume-codec.ts): decodeResume on hostile files and
// encodeResume -> decodeResume round trips. Pure; run by test/fuzz/decoders.test.ts and scripts/fuzz.ts.

import fc from "fast-check";
import { decodeBencode } from "../../src/bencode/index.ts";
import { type ResumeState, decodeResume, encodeResume } from "../../src/storage/index.ts";
import { StorageError } from "../../src/util/index.ts";
import { expectEqual, expectOnly, hostileBencode, target } from "../helpers/fuzz.ts";

const state: fc.Arbitrary<ResumeState> = fc.nat({ max: 100 }).chain((pieceCount) =>
  fc.record({
    infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    pieceCount: fc.constant(pieceCount),
    have: fc.uint8Array({ minLength: Math.ceil(pieceCount / 8), maxLength: Math.ceil(pieceCount / 8) }),
    files: fc.array(fc.option(fc.record({ sizeBytes: fc.maxSafeNat(), mtimeMs: fc.maxSafeInteger() }), { nil: undefined }), { maxLength: 6 }),
    savedAtMs: fc.maxSafeNat(),
  }),
);
const expectOf = (s: ResumeState) => ({ infoHash: s.infoHash, pieceCount: s.pieceCount, fileCount: s.files.length });

/** A hostile file, checked against the torrent of a valid state (so decoding gets past the first checks). */
const hostileFile = state.chain((s) => hostileBencode(fc.constant(decodeBencode(encodeResume(s)))).map((bytes) => [s, bytes] as const));

export const resumeTargets = [
  target("decodeResume throws only StorageError", hostileFile, ([s, bytes]) => {
    expectOnly([StorageError], () => decodeResume(bytes, expectOf(s)));
  }),

  target("encodeResume -> decodeResume round-trips", state, (s) => {
    expectEqual(expectOnly([], () => decodeResume(encodeResume(s), expectOf(s))), s, "decoded");
  }),
];
