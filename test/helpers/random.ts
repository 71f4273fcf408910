// Test helper: the seeded pseudo-random generators every test uses, so a run (and every machine) repeats
// exactly: simulations, random ids, random splits, payload bytes. Pure; never Math.random.

/** xorshift32 (Marsaglia): the next 32-bit state on each call; seed 0 counts as 1. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** mulberry32: a float in [0, 1) on each call. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random bytes from a fixed seed (xorshift32, the low byte of each state), as many as asked per call. */
export function seededBytes(seed: number): (length: number) => Uint8Array {
  const next = xorshift32(seed);
  return (length) => Uint8Array.from({ length }, () => next() & 0xff);
}

/** A seeded float in [0, 1), from four of {@link seededBytes}' bytes. */
export function seededRandom(seed: number): () => number {
  const bytes = seededBytes(seed);
  return () => new DataView(bytes(4).buffer).getUint32(0) / 2 ** 32;
}
