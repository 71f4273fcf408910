// Test helper: a tiny independent bencode decoder for tracker replies and .torrent files made by other
// tools, so the real-peer harness checks ripple against an implementation that is not ripple's own.
// Pure; no I/O. Keeps the raw byte span of every dict value (the infoHash is SHA-1 of the raw `info`).

/** A decoded bencode value; dict keys are decoded as latin1 so any byte string round-trips. */
export type BValue = number | Uint8Array | BValue[] | BDict;
/** A decoded dict plus the raw byte span [start, end) of each value. */
export interface BDict {
  readonly entries: Map<string, BValue>;
  readonly spans: Map<string, readonly [number, number]>;
}

const latin1 = new TextDecoder("latin1");

/** Decodes one complete bencoded value; throws on trailing bytes or malformed input. */
export function bdecode(bytes: Uint8Array): BValue {
  const [value, end] = decodeAt(bytes, 0);
  if (end !== bytes.length) throw new Error(`bencode: trailing bytes at ${end} of ${bytes.length}`);
  return value;
}

function decodeAt(b: Uint8Array, i: number): [BValue, number] {
  const c = b[i];
  if (c === undefined) throw new Error(`bencode: unexpected end at ${i}`);
  if (c === 0x69 /* i */) {
    const e = b.indexOf(0x65, i);
    if (e < 0) throw new Error(`bencode: unterminated integer at ${i}`);
    return [Number(latin1.decode(b.subarray(i + 1, e))), e + 1];
  }
  if (c === 0x6c /* l */) {
    const list: BValue[] = [];
    let j = i + 1;
    while (b[j] !== 0x65) {
      const [v, next] = decodeAt(b, j);
      list.push(v);
      j = next;
    }
    return [list, j + 1];
  }
  if (c === 0x64 /* d */) {
    const entries = new Map<string, BValue>();
    const spans = new Map<string, readonly [number, number]>();
    let j = i + 1;
    while (b[j] !== 0x65) {
      const [k, afterKey] = decodeAt(b, j);
      if (!(k instanceof Uint8Array)) throw new Error(`bencode: dict key is not a string at ${j}`);
      const [v, afterValue] = decodeAt(b, afterKey);
      const key = latin1.decode(k);
      entries.set(key, v);
      spans.set(key, [afterKey, afterValue]);
      j = afterValue;
    }
    return [{ entries, spans }, j + 1];
  }
  if (c >= 0x30 && c <= 0x39) {
    const colon = b.indexOf(0x3a, i);
    if (colon < 0) throw new Error(`bencode: bad string length at ${i}`);
    const length = Number(latin1.decode(b.subarray(i, colon)));
    const end = colon + 1 + length;
    if (end > b.length) throw new Error(`bencode: string at ${i} runs past the end`);
    return [b.subarray(colon + 1, end), end];
  }
  throw new Error(`bencode: unexpected byte 0x${c.toString(16)} at ${i}`);
}

/** Narrowing accessors that throw with the key name, for test code. */
export function isDict(v: BValue | undefined): v is BDict {
  return typeof v === "object" && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v);
}

export function dictGet(d: BValue | undefined, key: string): BValue | undefined {
  if (!isDict(d)) throw new Error(`bencode: expected a dict around key ${key}`);
  return d.entries.get(key);
}

export function getBytes(d: BValue | undefined, key: string): Uint8Array {
  const v = dictGet(d, key);
  if (!(v instanceof Uint8Array)) throw new Error(`bencode: ${key} is not a byte string`);
  return v;
}

export function getNumber(d: BValue | undefined, key: string): number {
  const v = dictGet(d, key);
  if (typeof v !== "number") throw new Error(`bencode: ${key} is not an integer`);
  return v;
}

export function getString(d: BValue | undefined, key: string): string {
  return new TextDecoder().decode(getBytes(d, key));
}
