// Announce tokens (BEP 5): a get_peers reply carries sha1(secret, requester IP); announce_peer must bring it
// back from the same IP. The secret rotates every 5 minutes and the previous one is still accepted, so a
// token lives 5 to 10 minutes. Pure; time comes in as `now`, randomness through the injected source.

import { bytesEqual, sha1, utf8 } from "../util/index.ts";

/** BEP 5: "the secret changes every five minutes and tokens up to ten minutes old are accepted". */
export const TOKEN_ROTATE_MS = 5 * 60_000;
/** Bytes of the SHA-1 kept as the token: opaque to others, and 8 bytes cannot be guessed off-path. */
export const TOKEN_BYTES = 8;
const SECRET_BYTES = 16;

export class TokenSecrets {
  readonly #random: (length: number) => Uint8Array;
  #current: Uint8Array;
  #previous: Uint8Array;
  #rotatedAt: number;

  constructor(random: (length: number) => Uint8Array, now: number) {
    this.#random = random;
    this.#current = random(SECRET_BYTES);
    this.#previous = random(SECRET_BYTES);
    this.#rotatedAt = now;
  }

  /** The token to hand a requester at `ip` (its address text as seen on the socket). */
  token(ip: string, now: number): Uint8Array {
    this.#rotate(now);
    return tokenFor(this.#current, ip);
  }

  /** Whether `token` was handed to `ip` under the current or the previous secret. */
  valid(ip: string, token: Uint8Array, now: number): boolean {
    this.#rotate(now);
    if (token.length !== TOKEN_BYTES) return false;
    return bytesEqual(token, tokenFor(this.#current, ip)) || bytesEqual(token, tokenFor(this.#previous, ip));
  }

  #rotate(now: number): void {
    const elapsed = now - this.#rotatedAt;
    if (elapsed < TOKEN_ROTATE_MS) return;
    // After two periods both secrets are stale: replace both, so no token older than 10 minutes passes.
    this.#previous = elapsed >= 2 * TOKEN_ROTATE_MS ? this.#random(SECRET_BYTES) : this.#current;
    this.#current = this.#random(SECRET_BYTES);
    this.#rotatedAt = now - (elapsed % TOKEN_ROTATE_MS);
  }
}

function tokenFor(secret: Uint8Array, ip: string): Uint8Array {
  return sha1(secret, utf8(ip)).slice(0, TOKEN_BYTES);
}
