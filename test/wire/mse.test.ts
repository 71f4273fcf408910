// MSE/PE receiving side, driven byte by byte by an initiator (test/helpers/mse-initiator.ts): plaintext
// and RC4 streams, the torrent found by its hashed info hash, and each malformed step dropped.

import { describe, expect, test } from "bun:test";
import { bytesEqual, WireError } from "../../src/util/index.ts";
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, MseResponder, Rc4, mseTorrentHash } from "../../src/wire/index.ts";
import { MseInitiator } from "../helpers/mse-initiator.ts";

const served = [new Uint8Array(20).fill(1), new Uint8Array(20).fill(2)];
const responder = () =>
  new MseResponder({
    findInfoHash: (req2) => served.find((ih) => bytesEqual(mseTorrentHash(ih), req2)),
    random: (n) => crypto.getRandomValues(new Uint8Array(n)),
  });

/** Runs a whole handshake; `chunk` splits what the initiator sends into pieces of that size. */
function handshake(options: { provide: number; chunk?: number; ia?: Uint8Array; after?: Uint8Array }) {
  const r = responder();
  const a = new MseInitiator(served[1]!);
  const feed = (bytes: Uint8Array) => {
    const out: Uint8Array[] = [];
    let done;
    const size = options.chunk ?? bytes.length;
    for (let i = 0; i < bytes.length; i += size) {
      const step = r.push(bytes.subarray(i, i + size));
      out.push(...step.send);
      done ??= step.done;
    }
    return { out, done };
  };
  const first = feed(a.hello(200));
  expect(first.done).toBeUndefined();
  const hello = first.out[0]!;
  const ia = options.ia ?? new TextEncoder().encode("the peer handshake");
  const second = feed(new Uint8Array([...a.request(hello, ia, { provide: options.provide }), ...(options.after ?? [])]));
  const answer = a.answer(new Uint8Array([...hello.subarray(96), ...second.out.flatMap((b) => [...b])]));
  return { done: second.done, answer, ia, initiator: a };
}

describe("MseResponder", () => {
  test("plaintext offered: chosen, the torrent named, IA and what follows handed over as sent", () => {
    const after = new TextEncoder().encode("plain bytes after");
    const { done, answer, ia } = handshake({ provide: CRYPTO_PLAINTEXT | CRYPTO_RC4, after });
    expect(answer?.selected).toBe(CRYPTO_PLAINTEXT);
    expect(done?.selected).toBe(CRYPTO_PLAINTEXT);
    expect(bytesEqual(done!.infoHash, served[1]!)).toBe(true);
    expect(bytesEqual(done!.payload, new Uint8Array([...ia, ...after]))).toBe(true);
    expect(done!.decrypt).toBeUndefined();
  });

  test("RC4 only: chosen, and both directions stay encrypted after the handshake", () => {
    const { done, answer, initiator } = handshake({ provide: CRYPTO_RC4, chunk: 7 });
    expect(answer?.selected).toBe(CRYPTO_RC4);
    expect(done?.selected).toBe(CRYPTO_RC4);
    const message = new TextEncoder().encode("a piece message");
    const sent = initiator.ciphers.encrypt.apply(message.slice());
    expect(bytesEqual(done!.decrypt!.apply(sent), message)).toBe(true);
    const back = done!.encrypt!.apply(message.slice());
    expect(bytesEqual(initiator.ciphers.decrypt.apply(back), message)).toBe(true);
  });

  test("a byte at a time gives the same outcome", () => {
    const { done } = handshake({ provide: CRYPTO_PLAINTEXT, chunk: 1 });
    expect(done?.selected).toBe(CRYPTO_PLAINTEXT);
  });

  function failure(mutate: (a: MseInitiator, hello: Uint8Array) => Uint8Array): string {
    const r = responder();
    const a = new MseInitiator(served[0]!);
    const hello = r.push(a.hello()).send[0]!;
    try {
      r.push(mutate(a, hello));
    } catch (err) {
      expect(err).toBeInstanceOf(WireError);
      return (err as Error).message;
    }
    throw new Error("no WireError");
  }

  test("drops: an unknown torrent, a bad verification constant, a method it cannot do, long padding", () => {
    expect(failure((a, h) => a.request(h, new Uint8Array(0), { infoHash: new Uint8Array(20).fill(9) }))).toMatch(/unknown info hash/);
    expect(failure((a, h) => a.request(h, new Uint8Array(0), { vc: new Uint8Array(8).fill(1) }))).toMatch(/verification constant/);
    expect(failure((a, h) => a.request(h, new Uint8Array(0), { provide: 0x08 }))).toMatch(/no method/);
    expect(failure((a, h) => a.request(h, new Uint8Array(0), { padC: 513 }))).toMatch(/padding of 513/);
  });

  test("drops: no request hash within 512 bytes of padding, a public key out of range", () => {
    const r = responder();
    r.push(new MseInitiator(served[0]!).hello(0));
    expect(() => r.push(new Uint8Array(600))).toThrow(/no request hash/);
    expect(() => responder().push(new Uint8Array(96))).toThrow(/bad public key/);
  });

  test("RC4 drops the first 1024 bytes of keystream", () => {
    const key = new Uint8Array(20).fill(7);
    const full = new Rc4(key, 0).apply(new Uint8Array(1024 + 16));
    expect(bytesEqual(new Rc4(key).apply(new Uint8Array(16)), full.subarray(1024))).toBe(true);
  });
});
