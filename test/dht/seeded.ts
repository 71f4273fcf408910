// Test helper for the DHT tests: a seeded PRNG (xorshift32) so simulations and random ids repeat exactly.

/** Random bytes from a fixed seed. */
export function seededBytes(seed: number): (length: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (length) =>
    Uint8Array.from({ length }, () => {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s & 0xff;
    });
}

/** A seeded float in [0, 1). */
export function seededRandom(seed: number): () => number {
  const bytes = seededBytes(seed);
  return () => new DataView(bytes(4).buffer).getUint32(0) / 2 ** 32;
}
