import { describe, expect, test } from "bun:test";
import { WireError, fromHex } from "../../src/util/index.ts";
import {
  MESSAGE_ID,
  PIECE_HEADER_LENGTH,
  decodeMessage,
  encodeHave,
  encodeMessage,
  encodePieceHeader,
  encodeRequest,
  REQUEST_FRAME_LENGTH,
  writeRequest,
  type PeerMessage,
} from "../../src/wire/index.ts";

function hex(text: string): Uint8Array {
  const bytes = fromHex(text.replace(/\s+/g, ""));
  if (!bytes) throw new Error(`bad hex in test: ${text}`);
  return bytes;
}

/** Decodes a whole frame the way the framer hands it over: id byte, then payload. */
function decodeFrame(frame: Uint8Array): PeerMessage {
  return decodeMessage(frame[4]!, frame.subarray(5));
}

// Hand-written from BEP 3 / 5 / 6 / 10: <len:u32be><id:u8><payload>.
const GOLDEN: [PeerMessage, string][] = [
  [{ type: "keep_alive" }, "00000000"],
  [{ type: "choke" }, "00000001 00"],
  [{ type: "unchoke" }, "00000001 01"],
  [{ type: "interested" }, "00000001 02"],
  [{ type: "not_interested" }, "00000001 03"],
  [{ type: "have", index: 0x01020304 }, "00000005 04 01020304"],
  [{ type: "bitfield", bytes: hex("ff80") }, "00000003 05 ff80"],
  [{ type: "request", index: 1, begin: 0x4000, length: 0x4000 }, "0000000d 06 00000001 00004000 00004000"],
  [{ type: "piece", index: 1, begin: 0x4000, block: hex("616263") }, "0000000c 07 00000001 00004000 616263"],
  [{ type: "cancel", index: 2, begin: 0, length: 0x4000 }, "0000000d 08 00000002 00000000 00004000"],
  [{ type: "port", port: 6881 }, "00000003 09 1ae1"],
  [{ type: "suggest", index: 7 }, "00000005 0d 00000007"],
  [{ type: "have_all" }, "00000001 0e"],
  [{ type: "have_none" }, "00000001 0f"],
  [{ type: "reject", index: 3, begin: 0x8000, length: 0x10 }, "0000000d 10 00000003 00008000 00000010"],
  [{ type: "allowed_fast", index: 0xfffffffe }, "00000005 11 fffffffe"],
  [{ type: "extended", id: 0, payload: hex("6465") }, "00000004 14 00 6465"],
  [{ type: "extended", id: 3, payload: new Uint8Array(0) }, "00000002 14 03"],
  [{ type: "unknown", id: 0xff, payload: hex("0102") }, "00000003 ff 0102"],
];

describe("encodeMessage", () => {
  test.each(GOLDEN)("%o", (msg, expected) => {
    expect(encodeMessage(msg)).toEqual(hex(expected));
  });

  test("rejects out-of-range fields as local bugs", () => {
    expect(() => encodeMessage({ type: "have", index: -1 })).toThrow(RangeError);
    expect(() => encodeMessage({ type: "request", index: 0, begin: 2 ** 32, length: 1 })).toThrow(RangeError);
    expect(() => encodeMessage({ type: "port", port: 65536 })).toThrow(RangeError);
    expect(() => encodeMessage({ type: "extended", id: 256, payload: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodeMessage({ type: "have", index: 1.5 })).toThrow(RangeError);
  });
});

describe("decodeMessage", () => {
  test.each(GOLDEN.filter(([m]) => m.type !== "keep_alive"))("%o", (msg, frame) => {
    expect(decodeFrame(hex(frame))).toEqual(msg);
  });

  test("round trips every golden message", () => {
    for (const [msg] of GOLDEN) {
      if (msg.type === "keep_alive") continue;
      expect(decodeFrame(encodeMessage(msg))).toEqual(msg);
    }
  });

  test("byte fields are views into the payload, not copies", () => {
    const frame = hex("0000000c 07 00000001 00004000 616263");
    const msg = decodeFrame(frame);
    if (msg.type !== "piece") throw new Error("expected a piece");
    frame[13] = 0x7a;
    expect(msg.block[0]).toBe(0x7a);
  });

  test("reads fields from a payload at a non-zero offset in its buffer", () => {
    const backing = hex("aaaaaaaa 00000005 04 00000009 bbbb");
    expect(decodeMessage(backing[8]!, backing.subarray(9, 13))).toEqual({ type: "have", index: 9 });
  });

  test("unknown ids are returned, not thrown", () => {
    expect(decodeMessage(21, hex("00"))).toEqual({ type: "unknown", id: 21, payload: hex("00") });
    expect(decodeMessage(10, new Uint8Array(0))).toEqual({ type: "unknown", id: 10, payload: new Uint8Array(0) });
  });

  test("a piece with an empty block decodes (the caller judges it)", () => {
    expect(decodeMessage(MESSAGE_ID.piece, new Uint8Array(8))).toEqual({ type: "piece", index: 0, begin: 0, block: new Uint8Array(0) });
  });

  const FIXED: [string, number, number][] = [
    ["choke", MESSAGE_ID.choke, 0],
    ["unchoke", MESSAGE_ID.unchoke, 0],
    ["interested", MESSAGE_ID.interested, 0],
    ["not_interested", MESSAGE_ID.not_interested, 0],
    ["have", MESSAGE_ID.have, 4],
    ["request", MESSAGE_ID.request, 12],
    ["cancel", MESSAGE_ID.cancel, 12],
    ["port", MESSAGE_ID.port, 2],
    ["suggest", MESSAGE_ID.suggest, 4],
    ["have_all", MESSAGE_ID.have_all, 0],
    ["have_none", MESSAGE_ID.have_none, 0],
    ["reject", MESSAGE_ID.reject, 12],
    ["allowed_fast", MESSAGE_ID.allowed_fast, 4],
  ];

  test.each(FIXED)("%s with a wrong length is a WireError", (name, id, expected) => {
    const lengths = [expected + 1, expected + 3];
    if (expected > 0) lengths.push(expected - 1, 0);
    for (const length of lengths) {
      expect(() => decodeMessage(id, new Uint8Array(length))).toThrow(
        new WireError(`${name} message has wrong length: ${length} != ${expected}`),
      );
    }
  });

  test("have message with 7 bytes names both lengths", () => {
    expect(() => decodeMessage(MESSAGE_ID.have, new Uint8Array(7))).toThrow("have message has wrong length: 7 != 4");
  });

  test("short piece and extended messages are WireErrors", () => {
    expect(() => decodeMessage(MESSAGE_ID.piece, new Uint8Array(7))).toThrow(new WireError("piece message too short: 7 < 8"));
    expect(() => decodeMessage(MESSAGE_ID.extended, new Uint8Array(0))).toThrow(new WireError("extended message too short: 0 < 1"));
  });

  test("a bitfield of any length decodes (Bitfield.fromBytes checks it against the torrent)", () => {
    expect(decodeMessage(MESSAGE_ID.bitfield, new Uint8Array(0))).toEqual({ type: "bitfield", bytes: new Uint8Array(0) });
  });
});

describe("fast paths", () => {
  test("encodeRequest matches encodeMessage", () => {
    expect(encodeRequest(1, 0x4000, 0x4000)).toEqual(hex("0000000d 06 00000001 00004000 00004000"));
  });

  test("encodeHave matches encodeMessage", () => {
    expect(encodeHave(0x01020304)).toEqual(hex("00000005 04 01020304"));
  });

  test("encodePieceHeader + block equals the whole piece frame", () => {
    const block = new Uint8Array(16384).map((_, i) => i * 7);
    const header = encodePieceHeader(5, 32768, block.length);
    expect(header.length).toBe(PIECE_HEADER_LENGTH);
    expect(header).toEqual(hex("00004009 07 00000005 00008000"));
    const whole = encodeMessage({ type: "piece", index: 5, begin: 32768, block });
    expect(whole.subarray(0, PIECE_HEADER_LENGTH)).toEqual(header);
    expect(whole.subarray(PIECE_HEADER_LENGTH)).toEqual(block);
  });

  test("out-of-range arguments throw RangeError", () => {
    expect(() => encodeRequest(0, -1, 16384)).toThrow(RangeError);
    expect(() => encodeHave(2 ** 32)).toThrow(RangeError);
    expect(() => encodePieceHeader(0, 0, -1)).toThrow(RangeError);
  });
});

describe("writeRequest", () => {
  test("writes the same 17 bytes as encodeRequest, at an offset", () => {
    const out = new Uint8Array(3 + 2 * REQUEST_FRAME_LENGTH);
    const view = new DataView(out.buffer);
    writeRequest(view, 3, 7, 16384, 16384);
    writeRequest(view, 3 + REQUEST_FRAME_LENGTH, 0xffffffff, 0, 1);
    expect([...out.subarray(3, 20)]).toEqual([...encodeRequest(7, 16384, 16384)]);
    expect([...out.subarray(20)]).toEqual([...encodeRequest(0xffffffff, 0, 1)]);
  });
});
