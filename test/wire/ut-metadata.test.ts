import { describe, expect, test } from "bun:test";
import { WireError, concatBytes } from "../../src/util/index.ts";
import {
  EXTENDED_MESSAGE_LIMIT,
  Framer,
  MAX_METADATA_SIZE,
  METADATA_PIECE_SIZE,
  answerMetadataRequest,
  decodeMessage,
  decodeMetadataMessage,
  encodeExtendedMessage,
  encodeMetadataMessage,
  metadataPieceCount,
  metadataPieceLength,
} from "../../src/wire/index.ts";

const bin = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0));
/** Deterministic bytes that start like bencode, to check the dict/block boundary. */
const block = (length: number, seed = 1) => Uint8Array.from({ length }, (_, i) => (i === 0 ? 0x64 : (i * 31 + seed) & 0xff));

// BEP 9's own examples: total_size 34256 makes pieces of 16384, 16384 and 1488 bytes.
const BEP9_SIZE = 34256;

describe("ut_metadata golden bytes (BEP 9 examples)", () => {
  test("request", () => {
    expect(encodeMetadataMessage({ type: "request", piece: 0 })).toEqual(bin("d8:msg_typei0e5:piecei0ee"));
    expect(decodeMetadataMessage(bin("d8:msg_typei0e5:piecei0ee"))).toEqual({ type: "request", piece: 0 });
  });

  test("data: the dict, then the block", () => {
    const data = block(METADATA_PIECE_SIZE);
    const bytes = encodeMetadataMessage({ type: "data", piece: 0, totalSize: BEP9_SIZE, block: data });
    expect(bytes).toEqual(concatBytes([bin("d8:msg_typei1e5:piecei0e10:total_sizei34256ee"), data]));
    expect(decodeMetadataMessage(bytes)).toEqual({ type: "data", piece: 0, totalSize: BEP9_SIZE, block: data });
  });

  test("reject", () => {
    expect(encodeMetadataMessage({ type: "reject", piece: 0 })).toEqual(bin("d8:msg_typei2e5:piecei0ee"));
    expect(decodeMetadataMessage(bin("d8:msg_typei2e5:piecei0ee"))).toEqual({ type: "reject", piece: 0 });
  });

  test("the last piece is shorter: 34256 bytes -> 16384, 16384, 1488", () => {
    expect(metadataPieceCount(BEP9_SIZE)).toBe(3);
    expect([0, 1, 2].map((p) => metadataPieceLength(BEP9_SIZE, p))).toEqual([16384, 16384, 1488]);
    const last = block(1488);
    const bytes = encodeMetadataMessage({ type: "data", piece: 2, totalSize: BEP9_SIZE, block: last });
    expect(decodeMetadataMessage(bytes)).toEqual({ type: "data", piece: 2, totalSize: BEP9_SIZE, block: last });
  });

  test("the data block is a view into the payload (no copy)", () => {
    const bytes = encodeMetadataMessage({ type: "data", piece: 0, totalSize: 5, block: block(5) });
    const msg = decodeMetadataMessage(bytes);
    if (msg.type !== "data") throw new Error("expected data");
    expect(msg.block.buffer).toBe(bytes.buffer);
  });

  test("extra keys are tolerated (some clients add total_size to a reject)", () => {
    expect(decodeMetadataMessage(bin("d8:msg_typei2e5:piecei1e10:total_sizei34256ee"))).toEqual({ type: "reject", piece: 1 });
  });

  test("an unknown msg_type comes back as unknown, to be ignored (BEP 9)", () => {
    expect(decodeMetadataMessage(bin("d8:msg_typei7e5:piecei3ee"))).toEqual({ type: "unknown", msgType: 7, piece: 3 });
  });
});

describe("ut_metadata: malformed messages are WireErrors", () => {
  const head = (piece: number, total: number | string) => `d8:msg_typei1e5:piecei${piece}e10:total_size${typeof total === "number" ? `i${total}e` : total}e`;
  const cases: [string, Uint8Array, RegExp][] = [
    ["not bencode", bin("hello"), /not valid bencode/],
    ["an empty payload", new Uint8Array(0), /not valid bencode/],
    ["a list", bin("li0ee"), /not a dictionary/],
    ["no msg_type", bin("d5:piecei0ee"), /no integer msg_type/],
    ["no piece", bin("d8:msg_typei0ee"), /no valid piece/],
    ["a negative piece", bin("d8:msg_typei0e5:piecei-1ee"), /no valid piece/],
    ["a string piece", bin("d8:msg_typei0e5:piece1:0e"), /no valid piece/],
    ["bytes after a request", bin("d8:msg_typei0e5:piecei0eexx"), /request has 2 bytes after its dictionary/],
    ["bytes after a reject", bin("d8:msg_typei2e5:piecei0eex"), /reject has 1 bytes after/],
    ["data without total_size", concatBytes([bin("d8:msg_typei1e5:piecei0ee"), block(10)]), /total_size missing, expected 1-8388608/],
    ["data with total_size 0", bin(head(0, 0)), /total_size 0/],
    ["data with total_size above the maximum", concatBytes([bin(head(0, MAX_METADATA_SIZE + 1)), block(16384)]), /total_size 8388609, expected 1-8388608/],
    ["data with a string total_size", bin(head(0, "3:100")), /total_size missing/],
    ["data for a piece beyond total_size", concatBytes([bin(head(3, BEP9_SIZE)), block(16384)]), /piece 3, but total_size 34256 makes 3 pieces/],
    ["a short middle block", concatBytes([bin(head(1, BEP9_SIZE)), block(16383)]), /piece 1 has 16383 bytes, expected 16384/],
    ["a long middle block", concatBytes([bin(head(0, BEP9_SIZE)), block(16385)]), /has 16385 bytes, expected 16384/],
    ["a full-size last block", concatBytes([bin(head(2, BEP9_SIZE)), block(16384)]), /piece 2 has 16384 bytes, expected 1488/],
    ["a data message with no block", bin(head(0, 10)), /has 0 bytes, expected 10/],
  ];
  for (const [what, payload, message] of cases) {
    test(what, () => {
      expect(() => decodeMetadataMessage(payload)).toThrow(WireError);
      expect(() => decodeMetadataMessage(payload)).toThrow(message);
    });
  }
});

describe("ut_metadata: encoding refuses local bugs", () => {
  test("RangeError for a bad piece, size or block length", () => {
    expect(() => encodeMetadataMessage({ type: "request", piece: -1 })).toThrow(RangeError);
    expect(() => encodeMetadataMessage({ type: "data", piece: 0, totalSize: 0, block: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodeMetadataMessage({ type: "data", piece: 0, totalSize: MAX_METADATA_SIZE + 1, block: block(16384) })).toThrow(RangeError);
    expect(() => encodeMetadataMessage({ type: "data", piece: 3, totalSize: BEP9_SIZE, block: block(1) })).toThrow(RangeError);
    expect(() => encodeMetadataMessage({ type: "data", piece: 2, totalSize: BEP9_SIZE, block: block(16384) })).toThrow(RangeError);
  });
});

describe("answerMetadataRequest", () => {
  const info = block(BEP9_SIZE, 9);

  test("serves each piece of the info dict, the last one short", () => {
    expect(answerMetadataRequest(info, 0)).toEqual({ type: "data", piece: 0, totalSize: BEP9_SIZE, block: info.subarray(0, 16384) });
    expect(answerMetadataRequest(info, 2)).toEqual({ type: "data", piece: 2, totalSize: BEP9_SIZE, block: info.subarray(32768) });
  });

  test("rejects without metadata or beyond the last piece", () => {
    expect(answerMetadataRequest(undefined, 0)).toEqual({ type: "reject", piece: 0 });
    expect(answerMetadataRequest(info, 3)).toEqual({ type: "reject", piece: 3 });
  });

  test("a full 16 KiB data message, framed, passes the framer's extended limit and decodes back", () => {
    const answer = answerMetadataRequest(info, 1);
    if (answer.type !== "data") throw new Error("expected data");
    const bytes = encodeExtendedMessage(3, encodeMetadataMessage(answer));
    expect(bytes.length - 4).toBeLessThanOrEqual(EXTENDED_MESSAGE_LIMIT);
    const framer = new Framer({ maxMessageLength: EXTENDED_MESSAGE_LIMIT, expectHandshake: false });
    const got: unknown[] = [];
    framer.push(bytes, {
      handshake: () => {},
      keepAlive: () => {},
      message: (id, payload) => {
        const msg = decodeMessage(id, payload);
        if (msg.type === "extended") got.push({ id: msg.id, ...decodeMetadataMessage(msg.payload) });
      },
    });
    expect(got).toEqual([{ id: 3, type: "data", piece: 1, totalSize: BEP9_SIZE, block: info.subarray(16384, 32768) }]);
  });
});
