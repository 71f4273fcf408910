// SHA-1 through Bun.CryptoHasher (BEP 3 piece hashes and the infoHash).

/** SHA-1 digest of one or more byte ranges, hashed in order without concatenating them. */
export function sha1(...parts: Uint8Array[]): Uint8Array {
  const hasher = new Bun.CryptoHasher("sha1");
  for (const p of parts) hasher.update(p);
  return new Uint8Array(hasher.digest().buffer);
}

/** An incremental SHA-1 for data that arrives in parts. */
export function createSha1(): { update(data: Uint8Array): void; digest(): Uint8Array } {
  const hasher = new Bun.CryptoHasher("sha1");
  return {
    update(data) {
      hasher.update(data);
    },
    digest() {
      return new Uint8Array(hasher.digest().buffer);
    },
  };
}
