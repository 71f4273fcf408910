// How each address is dialed under each encryption policy (src/swarm/dial-encryption.ts): crypto_provide
// offered, the plaintext fallback of `prefer` remembered per address, none for `require` or `plain`.

import { describe, expect, test } from "bun:test";
import { DialEncryption } from "../../src/swarm/dial-encryption.ts";
import { CRYPTO_PLAINTEXT, CRYPTO_RC4 } from "../../src/wire/index.ts";

describe("DialEncryption", () => {
  test("prefer: both offered; after a failed encrypted dial that address is dialed in plaintext, once", () => {
    const d = new DialEncryption("prefer");
    expect(d.provideFor("10.0.0.1:1")).toBe(CRYPTO_RC4 | CRYPTO_PLAINTEXT);
    expect(d.failed("10.0.0.1:1")).toBe(true);
    expect(d.provideFor("10.0.0.1:1")).toBeUndefined();
    expect(d.provideFor("10.0.0.2:1")).toBe(CRYPTO_RC4 | CRYPTO_PLAINTEXT);
    expect(d.failed("10.0.0.1:1")).toBe(false); // already plaintext: no second fallback
  });

  test("prefer: an encrypted dial that works again wins back the address", () => {
    const d = new DialEncryption("prefer");
    d.failed("10.0.0.1:1");
    d.succeeded("10.0.0.1:1", true);
    expect(d.provideFor("10.0.0.1:1")).toBe(CRYPTO_RC4 | CRYPTO_PLAINTEXT);
  });

  test("prefer: a plaintext redial that fails too sends the next dial back to encryption", () => {
    const d = new DialEncryption("prefer");
    d.failed("10.0.0.1:1");
    d.plaintextFailed("10.0.0.1:1");
    expect(d.provideFor("10.0.0.1:1")).toBe(CRYPTO_RC4 | CRYPTO_PLAINTEXT);
    expect(d.failed("10.0.0.1:1")).toBe(true); // and may fall back again
  });

  test("require offers RC4 only and never falls back; plain never encrypts", () => {
    const r = new DialEncryption("require");
    expect(r.provideFor("a:1")).toBe(CRYPTO_RC4);
    expect(r.failed("a:1")).toBe(false);
    expect(r.provideFor("a:1")).toBe(CRYPTO_RC4);
    const p = new DialEncryption("plain");
    expect(p.provideFor("a:1")).toBeUndefined();
    expect(p.failed("a:1")).toBe(false);
  });

  test("the memory is bounded: the oldest address is forgotten first", () => {
    const d = new DialEncryption("prefer");
    for (let i = 0; i < 5000; i++) d.failed(`10.0.${i >> 8}.${i & 255}:1`);
    expect(d.provideFor("10.0.0.0:1")).toBe(CRYPTO_RC4 | CRYPTO_PLAINTEXT);
    expect(d.provideFor("10.0.19.135:1")).toBeUndefined();
  });
});
