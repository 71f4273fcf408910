// The extension protocol (BEP 10): the extended handshake (ext id 0) and framing of extended messages
// (message id 20). Pure; no I/O. Ids are per direction: a peer sends us messages under the ids *we*
// advertised in our `m`, and we send it messages under the ids in *its* `m`.

import { type BencodeValue, type EncodableValue, decodeBencode, encodeBencode, isBytes, isDict } from "../bencode/index.ts";
import { WireError, decodeUtf8, errorMessage } from "../util/index.ts";
import { encodeMessage } from "./messages.ts";
import { MAX_METADATA_SIZE } from "./ut-metadata.ts";

/** BEP 10: extended message id 0 is the handshake. */
export const EXTENDED_HANDSHAKE_ID = 0;
/** BEP 9 extension name in `m`. */
export const UT_METADATA = "ut_metadata";
/** BEP 11 extension name in `m`. */
export const UT_PEX = "ut_pex";
/** The id we advertise for ut_metadata: peers send us metadata messages under it. */
export const UT_METADATA_LOCAL_ID = 1;
/** The id we advertise for ut_pex: peers send us PEX messages under it. */
export const UT_PEX_LOCAL_ID = 2;
/** Our `m` dictionary, for encodeExtendedHandshake. */
export const LOCAL_EXTENSIONS: Readonly<Record<string, number>> = { [UT_METADATA]: UT_METADATA_LOCAL_ID, [UT_PEX]: UT_PEX_LOCAL_ID };

/** Client names longer than this are cut: `v` only ends up in logs and peer lists. */
const MAX_CLIENT_NAME_CHARS = 100;

/** What we put in our extended handshake. */
export interface ExtendedHandshakeInput {
  /** Extension name -> the id (1-255) the peer must use to send it to us; 0 disables a previously sent one. */
  m: Readonly<Record<string, number>>;
  /** Client name and version, e.g. "ripple 0.1.0". */
  v?: string;
  /** Our listen port. */
  p?: number;
  /** How many outstanding requests we accept. */
  reqq?: number;
  /** The peer's address as we see it: 4 or 16 bytes. */
  yourip?: Uint8Array;
  /** BEP 9: size of our info dict, only once we have it. */
  metadataSize?: number;
}

/** A peer's extended handshake; known keys with a wrong type or range are left out. */
export interface ExtendedHandshake {
  /** Extension name -> the id to send it under (1-255). */
  m: Map<string, number>;
  /** Names the peer disabled with id 0 (meaningful when a later handshake updates an earlier one). */
  disabled: Set<string>;
  v?: string;
  p?: number;
  reqq?: number;
  /** Our address as the peer sees it: 4 or 16 bytes (a copy). */
  yourip?: Uint8Array;
  /** BEP 9 size of the info dict, within 1..MAX_METADATA_SIZE. */
  metadataSize?: number;
}

function checkRange(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} out of range: ${v} (expected ${min}-${max})`);
}

/** One framed extended message: length prefix, id 20, `extId`, payload. Throws RangeError on a bad id (a local bug). */
export function encodeExtendedMessage(extId: number, payload: Uint8Array): Uint8Array {
  return encodeMessage({ type: "extended", id: extId, payload });
}

/** The whole framed extended handshake message. Throws RangeError on out-of-range values (a local bug). */
export function encodeExtendedHandshake(h: ExtendedHandshakeInput): Uint8Array {
  const m: Record<string, number> = {};
  for (const [name, id] of Object.entries(h.m)) {
    checkRange(`extension id of ${name}`, id, 0, 255);
    m[name] = id;
  }
  const dict: Record<string, EncodableValue | undefined> = { m };
  if (h.v !== undefined) dict.v = h.v;
  if (h.p !== undefined) {
    checkRange("p", h.p, 1, 65535);
    dict.p = h.p;
  }
  if (h.reqq !== undefined) {
    checkRange("reqq", h.reqq, 1, 0x7fffffff);
    dict.reqq = h.reqq;
  }
  if (h.yourip !== undefined) {
    if (h.yourip.length !== 4 && h.yourip.length !== 16) throw new RangeError(`yourip must be 4 or 16 bytes, got ${h.yourip.length}`);
    dict.yourip = h.yourip;
  }
  if (h.metadataSize !== undefined) {
    checkRange("metadata_size", h.metadataSize, 1, MAX_METADATA_SIZE);
    dict.metadata_size = h.metadataSize;
  }
  return encodeExtendedMessage(EXTENDED_HANDSHAKE_ID, encodeBencode(dict));
}

const intIn = (v: BencodeValue | undefined, min: number, max: number): v is number =>
  typeof v === "number" && v >= min && v <= max;

/**
 * Decodes the payload of an extended handshake (the bytes after ext id 0). Unknown keys are ignored, and
 * so is a known key of the wrong type or range (real clients send odd values); a payload that is not a
 * bencoded dictionary throws WireError.
 */
export function decodeExtendedHandshake(payload: Uint8Array): ExtendedHandshake {
  let value: BencodeValue;
  try {
    value = decodeBencode(payload);
  } catch (err) {
    throw new WireError(`extended handshake is not valid bencode: ${errorMessage(err)}`, { cause: err });
  }
  if (!isDict(value)) throw new WireError(`extended handshake is not a dictionary (${payload.length} bytes)`);
  const out: ExtendedHandshake = { m: new Map(), disabled: new Set() };
  const m = value.get("m");
  if (isDict(m)) {
    for (const [rawName, id] of m) {
      // Keys decode as latin1; extension names are ASCII, so this reading is exact for every real one.
      const name = decodeUtf8(Uint8Array.from(rawName, (ch) => ch.charCodeAt(0)));
      if (id === 0) out.disabled.add(name);
      else if (intIn(id, 1, 255)) out.m.set(name, id);
    }
  }
  const v = value.get("v");
  if (isBytes(v)) out.v = decodeUtf8(v).slice(0, MAX_CLIENT_NAME_CHARS);
  const p = value.get("p");
  if (intIn(p, 1, 65535)) out.p = p;
  const reqq = value.get("reqq");
  if (intIn(reqq, 1, Number.MAX_SAFE_INTEGER)) out.reqq = reqq;
  const yourip = value.get("yourip");
  if (isBytes(yourip) && (yourip.length === 4 || yourip.length === 16)) out.yourip = yourip.slice();
  const size = value.get("metadata_size");
  if (intIn(size, 1, MAX_METADATA_SIZE)) out.metadataSize = size;
  return out;
}
