// MSE/PE dialing side (src/wire/mse-initiator.ts) against ripple's receiving side: the method chosen as
// offered and accepted, our IA delivered, RC4 both ways after it, any chunking, and a peer that does not
// speak MSE (or picks a method we did not offer) dropped.

import { describe, expect, test } from "bun:test";
import { WireError, bytesEqual } from "../../src/util/index.ts";
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, MseInitiator, MseResponder, mseTorrentHash, type MseOutcome } from "../../src/wire/index.ts";

const infoHash = new Uint8Array(20).fill(7);
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const ia = new TextEncoder().encode("our peer handshake goes here");

/** Runs both state machines against each other, delivering bytes in chunks of `chunk`. */
function run(provide: number, accept?: number, chunk = 1 << 20, afterAnswer = new Uint8Array(0)) {
  const init = new MseInitiator({ infoHash, provide, ia, random });
  const resp = new MseResponder({ findInfoHash: (r) => (bytesEqual(r, mseTorrentHash(infoHash)) ? infoHash : undefined), random, ...(accept !== undefined && { accept }) });
  let toResp: Uint8Array[] = [init.hello()];
  let initDone: MseOutcome | undefined;
  let respDone: MseOutcome | undefined;
  /** What reached the initiator after its handshake ended, decrypted: with its payload, the receiver's stream. */
  const tail: number[] = [];
  for (let round = 0; round < 10 && !(initDone && respDone); round++) {
    const toInit: Uint8Array[] = [];
    for (const bytes of toResp) {
      for (let i = 0; i < bytes.length; i += chunk) {
        const step = resp.push(bytes.subarray(i, i + chunk));
        toInit.push(...step.send);
        if (step.done) {
          respDone = step.done;
          toInit.push(step.done.encrypt ? step.done.encrypt.apply(afterAnswer.slice()) : afterAnswer);
        }
      }
    }
    toResp = [];
    for (const bytes of toInit) {
      for (let i = 0; i < bytes.length; i += chunk) {
        const piece = bytes.subarray(i, i + chunk);
        if (initDone) {
          tail.push(...(initDone.decrypt ? initDone.decrypt.apply(piece.slice()) : piece));
          continue;
        }
        const step = init.push(piece);
        toResp.push(...step.send);
        initDone ??= step.done;
      }
    }
  }
  return { initDone, respDone, received: new Uint8Array([...(initDone?.payload ?? []), ...tail]) };
}

describe("MseInitiator", () => {
  test("offering both: the receiver picks plaintext, gets our IA; what it sends next arrives as sent", () => {
    const after = new TextEncoder().encode("its handshake");
    const { initDone, respDone, received } = run(CRYPTO_RC4 | CRYPTO_PLAINTEXT, undefined, 1 << 20, after);
    expect(respDone?.selected).toBe(CRYPTO_PLAINTEXT);
    expect(bytesEqual(respDone!.payload, ia)).toBe(true);
    expect(initDone?.selected).toBe(CRYPTO_PLAINTEXT);
    expect(bytesEqual(received, after)).toBe(true);
    expect(initDone!.encrypt).toBeUndefined();
  });

  test("RC4 only (require): RC4 chosen, and the two ciphers pair up both ways", () => {
    const { initDone, respDone } = run(CRYPTO_RC4);
    expect(initDone?.selected).toBe(CRYPTO_RC4);
    expect(respDone?.selected).toBe(CRYPTO_RC4);
    const msg = new TextEncoder().encode("bitfield and pieces");
    expect(bytesEqual(respDone!.decrypt!.apply(initDone!.encrypt!.apply(msg.slice())), msg)).toBe(true);
    expect(bytesEqual(initDone!.decrypt!.apply(respDone!.encrypt!.apply(msg.slice())), msg)).toBe(true);
  });

  test("a receiver that accepts only RC4 picks it when both are offered", () => {
    const { initDone } = run(CRYPTO_RC4 | CRYPTO_PLAINTEXT, CRYPTO_RC4);
    expect(initDone?.selected).toBe(CRYPTO_RC4);
  });

  test("a byte at a time gives the same outcome, and the receiver's first bytes after its answer come through", () => {
    const after = new TextEncoder().encode("first message");
    const { initDone, received } = run(CRYPTO_RC4, undefined, 1, after);
    expect(initDone?.selected).toBe(CRYPTO_RC4);
    expect(bytesEqual(received, after)).toBe(true);
  });

  test("a receiver requiring RC4 drops an initiator offering only plaintext", () => {
    expect(() => run(CRYPTO_PLAINTEXT, CRYPTO_RC4)).toThrow(WireError);
  });

  test("a peer that does not speak MSE: dropped once 512 bytes of padding passed with no answer", () => {
    const init = new MseInitiator({ infoHash, provide: CRYPTO_RC4, ia, random });
    init.hello();
    expect(init.push(random(96)).send.length).toBe(1);
    expect(init.push(random(500)).done).toBeUndefined();
    expect(() => init.push(random(100))).toThrow(/no answer within 512 bytes/);
  });

  test("nothing offered, or an IA over 65535 bytes, is a programming error", () => {
    expect(() => new MseInitiator({ infoHash, provide: 0, ia, random })).toThrow(RangeError);
    expect(() => new MseInitiator({ infoHash, provide: CRYPTO_RC4, ia: new Uint8Array(70_000), random })).toThrow(RangeError);
  });
});
