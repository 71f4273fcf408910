// How to dial each peer address under the encryption policy (MSE/PE): encrypted first when preferred,
// in plaintext at once when that handshake failed, and what worked remembered per address (shared by
// every torrent of a client). Pure.

import { CRYPTO_PLAINTEXT, CRYPTO_RC4 } from "../wire/index.ts";
import type { DialTransports, Dialer, EncryptionPolicy } from "../peer/index.ts";

/** Addresses remembered; past it the oldest is forgotten (it is then tried encrypted again). */
const MAX_REMEMBERED = 4096;

export class DialEncryption {
  readonly policy: EncryptionPolicy;
  /** Per address ("host:port"): whether our last good dial there was plaintext. */
  readonly #plaintext = new Map<string, boolean>();

  constructor(policy: EncryptionPolicy = "prefer") {
    this.policy = policy;
  }

  /** crypto_provide for a dial to `key`, or undefined to dial in plaintext. */
  provideFor(key: string): number | undefined {
    if (this.policy === "plain") return undefined;
    if (this.policy === "require") return CRYPTO_RC4;
    return this.#plaintext.get(key) === true ? undefined : CRYPTO_RC4 | CRYPTO_PLAINTEXT;
  }

  /** A dial to `key` completed its peer handshake, with MSE/PE or without. */
  succeeded(key: string, viaMse: boolean): void {
    if (this.policy === "prefer") this.#remember(key, !viaMse);
  }

  /** A dial to `key` failed during its encryption handshake: true when a plaintext redial is due now. */
  failed(key: string): boolean {
    if (this.policy !== "prefer" || this.#plaintext.get(key) === true) return false;
    this.#remember(key, true);
    return true;
  }

  /**
   * A plaintext dial to `key` got no handshake: forget that plaintext worked there, so the next dial is
   * encrypted again (the encrypted one may have failed only because the peer was not ready yet).
   */
  plaintextFailed(key: string): void {
    if (this.policy === "prefer" && this.#plaintext.get(key) === true) this.#plaintext.delete(key);
  }

  #remember(key: string, plaintext: boolean): void {
    this.#plaintext.delete(key);
    if (this.#plaintext.size >= MAX_REMEMBERED) this.#plaintext.delete(this.#plaintext.keys().next().value!);
    this.#plaintext.set(key, plaintext);
  }
}

/** How a swarm dials: the handshake deadline, the encryption choice (default: plaintext, no memory) and the transport (default TCP). */
export interface DialOptions {
  readonly handshakeTimeoutMs?: number;
  readonly encryption?: DialEncryption;
  readonly dialer?: Dialer;
  /** Which transport failed where (the dialer reads it). */
  readonly transports?: DialTransports;
}
