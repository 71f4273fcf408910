// What comes before the peer handshake on an incoming connection: a plain BitTorrent handshake, or an
// MSE/PE one (wire/mse.ts) told apart by its first bytes, then the stream as the initiator chose it:
// plaintext, or RC4 both ways for the life of the connection.

import { WireError, bytesEqual, concatBytes } from "../util/index.ts";
import { MseResponder, PROTOCOL_STRING, type Rc4 } from "../wire/index.ts";

/** The plain handshake's first 20 bytes: its length byte and "BitTorrent protocol". */
const PLAIN_START = new Uint8Array([PROTOCOL_STRING.length, ...new TextEncoder().encode(PROTOCOL_STRING)]);

/** Finds which of our torrents an encrypted handshake names, by HASH('req2', info hash). */
export type MseLookup = (req2: Uint8Array) => Uint8Array | undefined;

export class IncomingStream {
  #mode: "sniff" | "mse" | "open" = "sniff";
  #sniffed: Uint8Array = new Uint8Array(0);
  #responder: MseResponder | undefined;
  readonly #lookup: MseLookup;
  #decrypt: Rc4 | undefined;
  #encrypt: Rc4 | undefined;
  /** Set once an encrypted handshake named a torrent: the peer handshake inside must name the same. */
  infoHash: Uint8Array | undefined;

  constructor(lookup: MseLookup) {
    this.#lookup = lookup;
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
      this.#responder = new MseResponder({ findInfoHash: this.#lookup, random: (length) => crypto.getRandomValues(new Uint8Array(length)) });
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
  outgoing(bytes: Uint8Array): Uint8Array {
    return this.#encrypt ? this.#encrypt.apply(bytes.slice()) : bytes;
  }

  /** A peer handshake for another torrent than the encrypted handshake named (drop). */
  checkInfoHash(infoHash: Uint8Array): void {
    if (this.infoHash && !bytesEqual(this.infoHash, infoHash)) throw new WireError("peer handshake names another torrent than its encryption handshake");
  }
}
