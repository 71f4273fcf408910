// Message stream encryption (MSE/PE), the dialing side: our public key, then the request naming the torrent
// by HASH('req2', info hash) with the methods we offer (crypto_provide) and our peer handshake as the
// initial payload (IA), then the receiver's choice (crypto_select). Pure: randomness is passed in.

import { WireError, concatBytes, indexOfBytes, sha1, utf8 } from "../util/index.ts";
import { ByteQueue } from "./byte-queue.ts";
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, MSE_KEY_LENGTH, MSE_MAX_PAD, mseCiphers, mseKeyPair, mseSharedSecret, mseTorrentHash, type MseOutcome } from "./mse.ts";
import type { Rc4 } from "./rc4.ts";

export interface MseInitiatorOptions {
  infoHash: Uint8Array;
  /** crypto_provide: CRYPTO_RC4, or CRYPTO_RC4 | CRYPTO_PLAINTEXT to let the receiver choose. */
  provide: number;
  /** The initial payload sent inside the handshake (our peer handshake); at most 65535 bytes. */
  ia: Uint8Array;
  random(length: number): Uint8Array;
}

type Stage = "key" | "sync" | "select" | "padD" | "done";

/**
 * The initiator's state machine: hello() is the first thing to send; push() takes the receiver's bytes
 * and returns what to send, plus the outcome once the receiver's choice is in. A WireError means drop.
 */
export class MseInitiator {
  readonly #opts: MseInitiatorOptions;
  readonly #keys: { secret: bigint; publicKey: Uint8Array };
  readonly #in = new ByteQueue();
  #stage: Stage = "key";
  /** ENCRYPT(VC) as the receiver sends it: what ends its padding PadB. */
  #vc: Uint8Array | undefined;
  #encrypt: Rc4 | undefined;
  #decrypt: Rc4 | undefined;
  #selected = 0;
  #padDLength = 0;

  constructor(opts: MseInitiatorOptions) {
    if ((opts.provide & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)) === 0) throw new RangeError(`crypto_provide offers nothing: ${opts.provide}`);
    if (opts.ia.length > 0xffff) throw new RangeError(`initial payload too long: ${opts.ia.length} bytes`);
    this.#opts = opts;
    this.#keys = mseKeyPair(opts.random(20));
  }

  /** Step 1: Ya and PadA (0-63 random bytes; the spec allows up to 512). */
  hello(): Uint8Array {
    const pad = this.#opts.random(1)[0]! % 64;
    return concatBytes([this.#keys.publicKey, this.#opts.random(pad)]);
  }

  push(chunk: Uint8Array): { send: Uint8Array[]; done?: MseOutcome } {
    this.#in.append(chunk);
    const send: Uint8Array[] = [];
    for (;;) {
      const step = this.#step(send);
      if (step === "wait") return { send };
      if (step !== "next") return { send, done: step };
    }
  }

  #step(send: Uint8Array[]): "wait" | "next" | MseOutcome {
    const have = this.#in.length;
    const { infoHash, provide, ia } = this.#opts;
    switch (this.#stage) {
      case "key": {
        if (have < MSE_KEY_LENGTH) return "wait";
        const s = mseSharedSecret(this.#in.take(MSE_KEY_LENGTH), this.#keys.secret);
        const ciphers = mseCiphers(s, infoHash);
        this.#encrypt = ciphers.initiator;
        this.#decrypt = ciphers.receiver;
        // VC is 8 zero bytes: its encryption is the receiver's first 8 keystream bytes.
        this.#vc = this.#decrypt.apply(new Uint8Array(8));
        const req3 = sha1(utf8("req3"), s);
        const skey = mseTorrentHash(infoHash).map((b, i) => b ^ req3[i]!);
        // VC, crypto_provide, len(PadC) = 0, len(IA), then IA.
        const head = new Uint8Array(8 + 4 + 2 + 2);
        const view = new DataView(head.buffer);
        view.setUint32(8, provide);
        view.setUint16(14, ia.length);
        send.push(concatBytes([sha1(utf8("req1"), s), skey, this.#encrypt.apply(head), this.#encrypt.apply(ia.slice())]));
        this.#stage = "sync";
        return "next";
      }
      case "sync": {
        // PadB (0-512 bytes) comes before ENCRYPT(VC): find it.
        const at = indexOfBytes(this.#in.view(), this.#vc!);
        if (at < 0) {
          if (have >= MSE_MAX_PAD + 8) throw new WireError("encryption handshake: no answer within 512 bytes (the peer may not speak MSE)");
          return "wait";
        }
        this.#in.take(at + 8);
        this.#stage = "select";
        return "next";
      }
      case "select": {
        if (have < 6) return "wait";
        const head = this.#decrypt!.apply(this.#in.take(6).slice());
        const view = new DataView(head.buffer);
        this.#selected = view.getUint32(0);
        this.#padDLength = view.getUint16(4);
        const ok = (this.#selected === CRYPTO_RC4 || this.#selected === CRYPTO_PLAINTEXT) && (this.#selected & provide) !== 0;
        if (!ok) throw new WireError(`encryption handshake: the peer selected ${this.#selected}, we offered ${provide}`);
        if (this.#padDLength > MSE_MAX_PAD) throw new WireError(`encryption handshake: padding of ${this.#padDLength} bytes`);
        this.#stage = "padD";
        return "next";
      }
      case "padD": {
        if (have < this.#padDLength) return "wait";
        this.#decrypt!.apply(this.#in.take(this.#padDLength).slice());
        const rest = this.#in.take(this.#in.length).slice();
        this.#stage = "done";
        const rc4 = this.#selected === CRYPTO_RC4;
        if (rc4) this.#decrypt!.apply(rest);
        return { infoHash, payload: rest, selected: this.#selected, ...(rc4 && { decrypt: this.#decrypt, encrypt: this.#encrypt }) };
      }
      case "done":
        throw new Error("MseInitiator.push after the handshake");
    }
  }
}
