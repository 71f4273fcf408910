// Message stream encryption (MSE/PE, the "obfuscation" handshake of Vuze, libtorrent, aria2 and
// Transmission), the receiving side: a 768-bit Diffie-Hellman exchange, the torrent found by its hashed
// info hash, then RC4 or plaintext for the rest of the stream as the initiator offers. Clients that
// prefer encryption try it first and fall back to a plain handshake only after a reconnect (aria2c
// loses a second to it), so answering it matters even for plaintext. Pure: randomness is passed in.

import { WireError, bytesEqual, concatBytes, indexOfBytes, sha1, utf8 } from "../util/index.ts";
import { ByteQueue } from "./byte-queue.ts";
import { Rc4 } from "./rc4.ts";

/** The group's prime (768 bits) and generator. */
export const MSE_PRIME = BigInt(
  "0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563",
);
export const MSE_GENERATOR = 2n;
/** Bytes of a public key (and of the shared secret S). */
export const MSE_KEY_LENGTH = 96;
/** Most padding either side may send before its next field. */
export const MSE_MAX_PAD = 512;
export const CRYPTO_PLAINTEXT = 0x01;
export const CRYPTO_RC4 = 0x02;
const VC = new Uint8Array(8);

/** base^exp mod m, square and multiply. */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

export function bigintToBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** HASH('req2', SKEY): what an initiator XORs into its request to name the torrent. */
export function mseTorrentHash(infoHash: Uint8Array): Uint8Array {
  return sha1(utf8("req2"), infoHash);
}

/** Keys of one side: its private exponent (from 20 random bytes) and its public key. */
export function mseKeyPair(random: Uint8Array): { secret: bigint; publicKey: Uint8Array } {
  const secret = bytesToBigint(random);
  return { secret, publicKey: bigintToBytes(modPow(MSE_GENERATOR, secret, MSE_PRIME), MSE_KEY_LENGTH) };
}

/** The shared secret S from the other side's public key; a key outside 2..P-2 is refused (drop). */
export function mseSharedSecret(otherPublic: Uint8Array, secret: bigint): Uint8Array {
  const y = bytesToBigint(otherPublic);
  if (y < 2n || y > MSE_PRIME - 2n) throw new WireError("encryption handshake: bad public key");
  return bigintToBytes(modPow(y, secret, MSE_PRIME), MSE_KEY_LENGTH);
}

/** The two RC4 streams: keyA encrypts what the initiator sends, keyB what the receiver sends. */
export function mseCiphers(s: Uint8Array, infoHash: Uint8Array): { initiator: Rc4; receiver: Rc4 } {
  return { initiator: new Rc4(sha1(utf8("keyA"), s, infoHash)), receiver: new Rc4(sha1(utf8("keyB"), s, infoHash)) };
}

export interface MseOutcome {
  infoHash: Uint8Array;
  /** The initiator's bytes after the handshake (its IA first), decrypted: normally our peer handshake. */
  payload: Uint8Array;
  /** CRYPTO_RC4: both ciphers go on for the whole connection; CRYPTO_PLAINTEXT: none. */
  selected: number;
  decrypt?: Rc4;
  encrypt?: Rc4;
}

export interface MseResponderOptions {
  /** The info hash whose HASH('req2', info hash) this is, among the torrents we serve. */
  findInfoHash(req2: Uint8Array): Uint8Array | undefined;
  /** Random bytes (the private key, the padding). */
  random(length: number): Uint8Array;
  /** Methods we agree to (default both): without CRYPTO_PLAINTEXT, an initiator offering only plaintext is dropped. */
  accept?: number;
}

type Stage = "key" | "sync" | "skey" | "provide" | "pad" | "ia";

/**
 * The receiver's state machine. push() takes the initiator's bytes as they come and returns what to send
 * back, plus the outcome once the handshake is through. A WireError means drop the connection.
 */
export class MseResponder {
  readonly #opts: MseResponderOptions;
  readonly #in = new ByteQueue();
  #stage: Stage = "key";
  #secret: Uint8Array | undefined;
  #req1: Uint8Array | undefined;
  #infoHash: Uint8Array | undefined;
  #decrypt: Rc4 | undefined;
  #encrypt: Rc4 | undefined;
  #provide = 0;
  #padLength = 0;
  #iaLength = 0;

  constructor(opts: MseResponderOptions) {
    this.#opts = opts;
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
    switch (this.#stage) {
      case "key": {
        if (have < MSE_KEY_LENGTH) return "wait";
        const keys = mseKeyPair(this.#opts.random(20));
        this.#secret = mseSharedSecret(this.#in.take(MSE_KEY_LENGTH), keys.secret);
        this.#req1 = sha1(utf8("req1"), this.#secret);
        const pad = this.#opts.random(1)[0]! % 64;
        send.push(concatBytes([keys.publicKey, this.#opts.random(pad)]));
        this.#stage = "sync";
        return "next";
      }
      case "sync": {
        // PadA (0-512 bytes) comes before HASH('req1', S): find it.
        const at = indexOfBytes(this.#in.view(), this.#req1!);
        if (at < 0) {
          if (have >= MSE_MAX_PAD + 20) throw new WireError("encryption handshake: no request hash within 512 bytes");
          return "wait";
        }
        this.#in.take(at + 20);
        this.#stage = "skey";
        return "next";
      }
      case "skey": {
        if (have < 20) return "wait";
        const mixed = this.#in.take(20);
        const req3 = sha1(utf8("req3"), this.#secret!);
        const req2 = mixed.map((b, i) => b ^ req3[i]!);
        const infoHash = this.#opts.findInfoHash(req2);
        // drop: an encrypted handshake for a torrent we do not serve.
        if (infoHash === undefined) throw new WireError("encryption handshake for an unknown info hash");
        this.#infoHash = infoHash;
        const ciphers = mseCiphers(this.#secret!, infoHash);
        this.#decrypt = ciphers.initiator;
        this.#encrypt = ciphers.receiver;
        this.#stage = "provide";
        return "next";
      }
      case "provide": {
        if (have < 14) return "wait";
        const head = this.#decrypt!.apply(this.#in.take(14).slice());
        if (!bytesEqual(head.subarray(0, 8), VC)) throw new WireError("encryption handshake: bad verification constant");
        const view = new DataView(head.buffer, head.byteOffset, head.length);
        this.#provide = view.getUint32(8);
        this.#padLength = view.getUint16(12);
        if (this.#padLength > MSE_MAX_PAD) throw new WireError(`encryption handshake: padding of ${this.#padLength} bytes`);
        this.#stage = "pad";
        return "next";
      }
      case "pad": {
        if (have < this.#padLength + 2) return "wait";
        const padAndLength = this.#decrypt!.apply(this.#in.take(this.#padLength + 2).slice());
        this.#iaLength = (padAndLength[this.#padLength]! << 8) | padAndLength[this.#padLength + 1]!;
        this.#stage = "ia";
        return "next";
      }
      case "ia": {
        const iaLength = this.#iaLength;
        if (have < iaLength) return "wait";
        const offered = this.#provide & (this.#opts.accept ?? CRYPTO_PLAINTEXT | CRYPTO_RC4);
        const selected = offered & CRYPTO_PLAINTEXT ? CRYPTO_PLAINTEXT : offered & CRYPTO_RC4 ? CRYPTO_RC4 : 0;
        if (selected === 0) throw new WireError(`encryption handshake: no method we accept offered (crypto_provide ${this.#provide})`);
        const ia = this.#decrypt!.apply(this.#in.take(iaLength).slice());
        const reply = new Uint8Array(14);
        new DataView(reply.buffer).setUint32(8, selected); // VC, crypto_select, no PadD
        send.push(this.#encrypt!.apply(reply));
        const rest = this.#in.take(this.#in.view().length).slice();
        const rc4 = selected === CRYPTO_RC4;
        if (rc4) this.#decrypt!.apply(rest);
        return {
          infoHash: this.#infoHash!,
          payload: concatBytes([ia, rest]),
          selected,
          ...(rc4 && { decrypt: this.#decrypt, encrypt: this.#encrypt }),
        };
      }
    }
  }
}
