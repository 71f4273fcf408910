// What comes before the peer handshake: on an incoming connection a plain BitTorrent handshake or an
// MSE/PE one (wire/mse.ts) told apart by its first bytes; on a dialed one, MSE/PE when we offer it
// (wire/mse-initiator.ts). Then the stream as negotiated: plaintext, or RC4 both ways for its life.

import { WireError, bytesEqual, concatBytes } from "../util/index.ts";
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, MseInitiator, MseResponder, PROTOCOL_STRING, type MseOutcome, type Rc4 } from "../wire/index.ts";

/**
 * `prefer`: dial encrypted (RC4 or plaintext, as the peer picks), redial in plaintext if that fails;
 * `require`: RC4 only, both ways (plain handshakes refused); `plain`: dial plaintext, still answer MSE.
 */
export type EncryptionPolicy = "prefer" | "require" | "plain";
export const ENCRYPTION_POLICIES: readonly EncryptionPolicy[] = ["prefer", "require", "plain"];

/** What the connection needs of either side: bytes in (for the framer), bytes out (encrypted or not). */
export interface PeerStream {
  /** True once bytes pass straight through (plaintext after the handshake, or no MSE at all). */
  readonly plain: boolean;
  /** "rc4" or "plaintext" once known. */
  readonly method: "rc4" | "plaintext" | undefined;
  receive(chunk: Uint8Array, reply: (bytes: Uint8Array) => void): Uint8Array | undefined;
  /** Bytes as they go on the wire. `inPlace`: the caller gives `bytes` up (RC4 may encrypt them where they lie). */
  outgoing(bytes: Uint8Array, inPlace?: boolean): Uint8Array;
}

const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));

/** The plain handshake's first 20 bytes: its length byte and "BitTorrent protocol". */
const PLAIN_START = new Uint8Array([PROTOCOL_STRING.length, ...new TextEncoder().encode(PROTOCOL_STRING)]);

/** Finds which of our torrents an encrypted handshake names, by HASH('req2', info hash). */
export type MseLookup = (req2: Uint8Array) => Uint8Array | undefined;

export class IncomingStream implements PeerStream {
  #mode: "sniff" | "mse" | "open" = "sniff";
  #sniffed: Uint8Array = new Uint8Array(0);
  #responder: MseResponder | undefined;
  readonly #lookup: MseLookup;
  #decrypt: Rc4 | undefined;
  #encrypt: Rc4 | undefined;
  readonly #requireEncryption: boolean;
  /** Set once an encrypted handshake named a torrent: the peer handshake inside must name the same. */
  infoHash: Uint8Array | undefined;

  /** `requireEncryption`: RC4 is the only method accepted, and a plain handshake is to be refused. */
  constructor(lookup: MseLookup, requireEncryption = false) {
    this.#lookup = lookup;
    this.#requireEncryption = requireEncryption;
  }

  get method(): "rc4" | "plaintext" | undefined {
    return this.#mode !== "open" ? undefined : this.#decrypt ? "rc4" : "plaintext";
  }

  /** A plain (unencrypted, no MSE) handshake arrived while encryption is required: refuse the peer. */
  get refused(): boolean {
    return this.#requireEncryption && this.#mode === "open" && this.infoHash === undefined;
  }

  /** True once bytes pass straight through (a plain connection, or MSE that chose plaintext). */
  get plain(): boolean {
    return this.#mode === "open" && this.#decrypt === undefined;
  }

  /**
   * Bytes from the socket in; bytes for the framer out (undefined while the MSE handshake goes on).
   * `reply` writes MSE answers to the socket as they are. Throws WireError to drop the connection.
   */
  receive(chunk: Uint8Array, reply: (bytes: Uint8Array) => void): Uint8Array | undefined {
    if (this.#mode === "open") return this.#decrypt ? this.#decrypt.apply(chunk) : chunk;
    if (this.#mode === "sniff") {
      const seen = this.#sniffed.length === 0 ? chunk : concatBytes([this.#sniffed, chunk]);
      const n = Math.min(seen.length, PLAIN_START.length);
      let plain = true;
      for (let i = 0; i < n && plain; i++) plain = seen[i] === PLAIN_START[i];
      if (plain) {
        if (n < PLAIN_START.length) {
          this.#sniffed = seen.slice();
          return undefined;
        }
        this.#mode = "open";
        return seen;
      }
      this.#mode = "mse";
      this.#responder = new MseResponder({ findInfoHash: this.#lookup, random, ...(this.#requireEncryption && { accept: CRYPTO_RC4 }) });
      chunk = seen;
    }
    const step = this.#responder!.push(chunk);
    for (const bytes of step.send) reply(bytes);
    if (step.done === undefined) return undefined;
    this.#mode = "open";
    this.#responder = undefined;
    this.infoHash = step.done.infoHash;
    this.#decrypt = step.done.decrypt;
    this.#encrypt = step.done.encrypt;
    return step.done.payload.length > 0 ? step.done.payload : undefined;
  }

  /** Bytes to send, encrypted (a copy) when the stream is RC4. */
  outgoing(bytes: Uint8Array, inPlace = false): Uint8Array {
    return this.#encrypt ? this.#encrypt.apply(inPlace ? bytes : bytes.slice()) : bytes;
  }

  /** A peer handshake for another torrent than the encrypted handshake named (drop). */
  checkInfoHash(infoHash: Uint8Array): void {
    if (this.infoHash && !bytesEqual(this.infoHash, infoHash)) throw new WireError("peer handshake names another torrent than its encryption handshake");
  }
}

/**
 * A dialed connection that opens with MSE/PE: hello() first, our peer handshake travels as its IA.
 * `provide`: CRYPTO_RC4 (encryption required) or CRYPTO_RC4 | CRYPTO_PLAINTEXT (the peer picks).
 */
export class OutgoingStream implements PeerStream {
  #initiator: MseInitiator | undefined;
  #outcome: MseOutcome | undefined;

  constructor(infoHash: Uint8Array, provide: number, handshake: Uint8Array) {
    this.#initiator = new MseInitiator({ infoHash, provide, ia: handshake, random });
  }

  /** Step 1 of the handshake: what to send once the socket opens. */
  hello(): Uint8Array {
    return this.#initiator!.hello();
  }

  /** The encryption handshake is over (the peer answered with its choice). */
  get done(): boolean {
    return this.#outcome !== undefined;
  }

  get plain(): boolean {
    return this.#outcome !== undefined && this.#outcome.decrypt === undefined;
  }

  get method(): "rc4" | "plaintext" | undefined {
    return this.#outcome === undefined ? undefined : this.#outcome.selected === CRYPTO_PLAINTEXT ? "plaintext" : "rc4";
  }

  receive(chunk: Uint8Array, reply: (bytes: Uint8Array) => void): Uint8Array | undefined {
    if (this.#outcome) return this.#outcome.decrypt ? this.#outcome.decrypt.apply(chunk) : chunk;
    const step = this.#initiator!.push(chunk);
    for (const bytes of step.send) reply(bytes);
    if (step.done === undefined) return undefined;
    this.#outcome = step.done;
    this.#initiator = undefined;
    return step.done.payload.length > 0 ? step.done.payload : undefined;
  }

  outgoing(bytes: Uint8Array, inPlace = false): Uint8Array {
    const encrypt = this.#outcome?.encrypt;
    return encrypt ? encrypt.apply(inPlace ? bytes : bytes.slice()) : bytes;
  }
}
