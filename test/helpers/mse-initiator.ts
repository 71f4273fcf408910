// Test helper: the initiating side of an MSE/PE handshake (what aria2c, libtorrent and Transmission do
// when they dial with encryption preferred), built from the same primitives as ripple's responder but
// following the steps independently, so a test can drive ripple's receiving side byte by byte.

import { concatBytes, indexOfBytes, sha1, utf8 } from "../../src/util/index.ts";
import { CRYPTO_PLAINTEXT, MSE_KEY_LENGTH, type Rc4, mseCiphers, mseKeyPair, mseSharedSecret, mseTorrentHash } from "../../src/wire/index.ts";

export class MseInitiator {
  readonly #keys = mseKeyPair(crypto.getRandomValues(new Uint8Array(20)));
  readonly #infoHash: Uint8Array;
  #encrypt: Rc4 | undefined;
  #decrypt: Rc4 | undefined;
  #reply: Uint8Array = new Uint8Array(0);
  /** ENCRYPT(VC) as the receiver sends it: what to look for after its padding. */
  #vcPattern: Uint8Array | undefined;

  constructor(infoHash: Uint8Array) {
    this.#infoHash = infoHash;
  }

  /** Step 1: our public key and `padLength` bytes of padding. */
  hello(padLength = 37): Uint8Array {
    return concatBytes([this.#keys.publicKey, crypto.getRandomValues(new Uint8Array(padLength))]);
  }

  /**
   * Step 3, once the receiver's public key (first 96 bytes of its answer) is in: the request naming the
   * torrent, the methods we offer and `ia`, our first payload (normally the peer handshake).
   */
  request(receiverHello: Uint8Array, ia: Uint8Array, options: { provide?: number; padC?: number; vc?: Uint8Array; infoHash?: Uint8Array } = {}): Uint8Array {
    const s = mseSharedSecret(receiverHello.subarray(0, MSE_KEY_LENGTH), this.#keys.secret);
    const infoHash = options.infoHash ?? this.#infoHash;
    const req3 = sha1(utf8("req3"), s);
    const mixed = mseTorrentHash(infoHash).map((b, i) => b ^ req3[i]!);
    const ciphers = mseCiphers(s, infoHash);
    this.#encrypt = ciphers.initiator;
    this.#decrypt = ciphers.receiver;
    this.#vcPattern = mseCiphers(s, infoHash).receiver.apply(new Uint8Array(8));
    const padC = options.padC ?? 5;
    const head = new Uint8Array(8 + 4 + 2 + padC + 2);
    if (options.vc) head.set(options.vc, 0);
    const view = new DataView(head.buffer);
    view.setUint32(8, options.provide ?? CRYPTO_PLAINTEXT);
    view.setUint16(12, padC);
    view.setUint16(14 + padC, ia.length);
    return concatBytes([sha1(utf8("req1"), s), mixed, this.#encrypt.apply(head), this.#encrypt.apply(ia.slice())]);
  }

  /**
   * Step 4: feeds what the receiver sent after its public key (its padding, then its encrypted answer);
   * returns the method it selected once the answer is in, with any bytes that followed it.
   */
  answer(bytes: Uint8Array): { selected: number; rest: Uint8Array } | undefined {
    this.#reply = concatBytes([this.#reply, bytes]);
    const at = indexOfBytes(this.#reply, this.#vcPattern!);
    if (at < 0 || this.#reply.length < at + 14) return undefined;
    const head = this.#decrypt!.apply(this.#reply.slice(at, at + 14));
    return { selected: new DataView(head.buffer).getUint32(8), rest: this.#reply.subarray(at + 14) };
  }

  /** For RC4 streams after the handshake. */
  get ciphers(): { encrypt: Rc4; decrypt: Rc4 } {
    return { encrypt: this.#encrypt!, decrypt: this.#decrypt! };
  }
}
