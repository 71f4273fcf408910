// Fuzzing kit for test/fuzz and scripts/fuzz.ts: hostile-input arbitraries (random bytes, valid encodings
// mutated/truncated/extended, bencode trees with one node replaced), a canonical bencode oracle, and the
// "throws only its layer's error, quickly" check. Pure; no I/O.

import fc from "fast-check";
import type { BencodeDict, BencodeValue } from "../../src/bencode/index.ts";
import { concatBytes, utf8 } from "../../src/util/index.ts";

/** One fuzzed decoder property: `check` throws on a counterexample (used for replaying fixtures too). */
export interface FuzzTarget<T = unknown> {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  readonly check: (input: T) => void;
}

export function target<T>(name: string, arbitrary: fc.Arbitrary<T>, check: (input: T) => void): FuzzTarget {
  return { name, arbitrary, check } as FuzzTarget;
}

/** The seed `bun test` uses, so a failure there reproduces exactly. */
export const FUZZ_SEED = 20_240_601;
/** Runs per target in `bun test` (scripts/fuzz.ts runs far more). */
export const FUZZ_RUNS = 200;

/**
 * CPU time one decoder call may use. Counted as the process's CPU time, not wall time, so a loaded
 * machine that leaves the test waiting for a core does not count against it; generous, so the first
 * (cold) call passes. An input that triggers quadratic work or a loop takes far longer even at the small
 * sizes generated here.
 */
export const CALL_TIME_LIMIT_MS = 250;

/** The process's CPU time so far, user and system, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs `fn`; returns its result, or undefined when it threw one of `allowed`. Anything else thrown, or a
 * call using more CPU than CALL_TIME_LIMIT_MS, fails with a message naming what happened.
 */
export function expectOnly<T>(allowed: readonly ErrorClass[], fn: () => T): T | undefined {
  const start = cpuMs();
  let result: T | undefined;
  try {
    result = fn();
  } catch (err) {
    if (!allowed.some((c) => err instanceof c)) {
      const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new Error(`threw ${what}; only ${allowed.map((c) => c.name).join(" or ")} is allowed`, { cause: err });
    }
  }
  const ms = cpuMs() - start;
  if (ms > CALL_TIME_LIMIT_MS) throw new Error(`took ${ms.toFixed(0)} ms of CPU (limit ${CALL_TIME_LIMIT_MS} ms)`);
  return result;
}

/** Throws with both values shown unless they are deeply equal (Maps and Uint8Arrays compared by content). */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (!Bun.deepEquals(actual, expected)) {
    throw new Error(`${what}: got ${Bun.inspect(actual, { depth: 6 })}, expected ${Bun.inspect(expected, { depth: 6 })}`);
  }
}

// ---- byte-level mutation -------------------------------------------------------------------------

/** Bytes that parsers branch on: bencode tokens, digits, boundaries of signed and unsigned bytes. */
const INTERESTING_BYTES = [0x00, 0x01, 0x13, 0x2d, 0x30, 0x31, 0x39, 0x3a, 0x64, 0x65, 0x69, 0x6c, 0x7f, 0x80, 0xfe, 0xff];

type ByteMutation =
  | { kind: "set"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "remove"; at: number; length: number }
  | { kind: "repeat"; at: number; length: number; times: number };

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant("remove" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant("repeat" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }), times: fc.integer({ min: 2, max: 40 }) }),
);

function applyMutation(b: Uint8Array, m: ByteMutation): Uint8Array {
  const at = m.at % (b.length + 1);
  switch (m.kind) {
    case "set": {
      if (b.length === 0) return Uint8Array.of(m.value);
      const out = b.slice();
      out[at % b.length] = m.value;
      return out;
    }
    case "truncate":
      return b.slice(0, at);
    case "insert":
      return concatBytes([b.subarray(0, at), m.bytes, b.subarray(at)]);
    case "remove":
      return concatBytes([b.subarray(0, at), b.subarray(at + m.length)]);
    case "repeat": {
      const part = b.subarray(at, at + m.length);
      return concatBytes([b.subarray(0, at), ...Array<Uint8Array>(m.times).fill(part), b.subarray(at)]);
    }
  }
}

/** Valid encodings with one to three byte-level changes: a byte set, truncated, extended, cut or repeated. */
export function mutatedBytes(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(byteMutation, { minLength: 1, maxLength: 3 })).map(([b, ms]) => ms.reduce(applyMutation, b));
}

/** Random bytes, valid encodings, and valid encodings mutated (the usual mix for a byte decoder). */
export function hostileBytes(valid: fc.Arbitrary<Uint8Array>, maxLength = 512): fc.Arbitrary<Uint8Array> {
  return fc.oneof(fc.uint8Array({ maxLength }), valid, mutatedBytes(valid), mutatedBytes(valid));
}

/** The same mutations on text (magnet links, query strings): characters set, cut, inserted, repeated. */
export function mutatedText(valid: fc.Arbitrary<string>, alphabet: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.string({ unit: alphabet, maxLength: 8 }));
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([text, edits]) =>
    edits.reduce((t, [at, cut, insert]) => {
      const i = at % (t.length + 1);
      return t.slice(0, i) + insert + t.slice(i + cut);
    }, text),
  );
}

// ---- bencode trees ---------------------------------------------------------------------------------

/** Canonical bencode of a decoded value (keys sorted as bytes; latin1 keys written back byte for byte). */
export function canonicalEncode(v: BencodeValue): Uint8Array {
  const parts: Uint8Array[] = [];
  const latin1 = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
  const walk = (x: BencodeValue): void => {
    if (typeof x === "number" || typeof x === "bigint") parts.push(utf8(`i${x}e`));
    else if (x instanceof Uint8Array) parts.push(utf8(`${x.length}:`), x);
    else if (Array.isArray(x)) {
      parts.push(utf8("l"));
      x.forEach(walk);
      parts.push(utf8("e"));
    } else {
      parts.push(utf8("d"));
      for (const key of [...x.keys()].sort()) {
        const k = latin1(key);
        parts.push(utf8(`${k.length}:`), k);
        walk(x.get(key)!);
      }
      parts.push(utf8("e"));
    }
  };
  walk(v);
  return concatBytes(parts);
}

/** Integers parsers trip on: zero, signs, 2^31, 2^32, 2^53 and beyond (bigint). */
const interestingInteger: fc.Arbitrary<number | bigint> = fc.oneof(
  fc.constantFrom(0, 1, -1, 255, 256, 16384, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
  fc.constantFrom(2n ** 53n, 2n ** 63n, 2n ** 64n, -(2n ** 64n)),
  fc.integer(),
);

/** Byte strings, with the lengths of hashes, ids and compact peers likely. */
const interestingBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  fc.constantFrom(4, 6, 16, 18, 19, 20, 21, 26, 52).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
);

/** One char per byte (U+0000-U+00FF): how the decoder reads dictionary keys. */
const latin1Char: fc.Arbitrary<string> = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const dictKey = fc.oneof(fc.string({ unit: "binary-ascii", maxLength: 10 }), fc.string({ unit: latin1Char, maxLength: 10 }));

/** Any decoded bencode value (what decodeBencode can return), nesting kept small. */
export const bencodeTree: fc.Arbitrary<BencodeValue> = fc.letrec<{ value: BencodeValue; dict: BencodeDict }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, interestingInteger, interestingBytes, fc.array(tie("value"), { maxLength: 4 }), tie("dict")),
  dict: fc
    .uniqueArray(fc.tuple(dictKey, tie("value")), { maxLength: 4, selector: ([k]) => k })
    .map((entries) => new Map(entries)),
})).value;

type TreeEdit = { kind: "replace"; value: BencodeValue } | { kind: "remove" } | { kind: "add"; key: string; value: BencodeValue };

/** A copy of `tree` with its `pick`-th node (pre-order, modulo the node count) edited. */
function editTree(tree: BencodeValue, pick: number, edit: TreeEdit): BencodeValue {
  let count = 0;
  const countNodes = (x: BencodeValue): void => {
    count++;
    if (Array.isArray(x)) x.forEach(countNodes);
    else if (x instanceof Map) x.forEach(countNodes);
  };
  countNodes(tree);
  let target = pick % count;
  const REMOVE = Symbol("remove");
  const walk = (x: BencodeValue): BencodeValue | typeof REMOVE => {
    if (target-- === 0) {
      if (edit.kind === "replace") return edit.value;
      if (edit.kind === "remove") return REMOVE;
      if (x instanceof Map) return new Map([...x, [edit.key, edit.value]]);
      if (Array.isArray(x)) return [...x, edit.value];
      return edit.value;
    }
    if (Array.isArray(x)) return x.map(walk).filter((c): c is BencodeValue => c !== REMOVE);
    if (x instanceof Map) {
      const out: BencodeDict = new Map();
      for (const [k, v] of x) {
        const c = walk(v);
        if (c !== REMOVE) out.set(k, c);
      }
      return out;
    }
    return x;
  };
  const out = walk(tree);
  return out === REMOVE ? new Map() : out;
}

const treeEdit: fc.Arbitrary<TreeEdit> = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), value: bencodeTree }),
  fc.record({ kind: fc.constant("remove" as const) }),
  fc.record({ kind: fc.constant("add" as const), key: dictKey, value: bencodeTree }),
);

/** Valid documents with one node replaced by any value, removed, or given an extra entry; re-encoded. */
export function mutatedTree(valid: fc.Arbitrary<BencodeValue>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.nat(), treeEdit).map(([tree, pick, edit]) => canonicalEncode(editTree(tree, pick, edit)));
}

/**
 * Hostile input for a bencoded format given valid documents as trees: random bytes, valid bytes, byte
 * mutations of them, and field-level mutations (one field of the wrong type, missing, or extra).
 */
export function hostileBencode(valid: fc.Arbitrary<BencodeValue>): fc.Arbitrary<Uint8Array> {
  const validBytes = valid.map(canonicalEncode);
  return fc.oneof(fc.uint8Array({ maxLength: 256 }), validBytes, mutatedBytes(validBytes), mutatedTree(valid), mutatedTree(valid));
}

/** A way to cut `length` bytes into chunks: sorted cut points (modulo length), for feeding a framer. */
export const chunkCuts = fc.array(fc.nat(), { maxLength: 12 });

export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}
