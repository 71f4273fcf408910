// SHA-256 through Bun.CryptoHasher (BEP 52 merkle trees and the v2 info hash). Pure.

/** SHA-256 digest of one or more byte ranges, hashed in order without concatenating them. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hasher = new Bun.CryptoHasher("sha256");
  for (const p of parts) hasher.update(p);
  return new Uint8Array(hasher.digest().buffer);
}
