// Announce tokens (BEP 5): bound to the requester's IP, valid for 5 to 10 minutes across secret rotations.

import { describe, expect, test } from "bun:test";
import { TOKEN_BYTES, TOKEN_ROTATE_MS, TokenSecrets } from "../../src/dht/index.ts";
import { seededBytes } from "../helpers/random.ts";

describe("announce tokens", () => {
  test("a token is valid for the IP it was given to, and only that IP", () => {
    const s = new TokenSecrets(seededBytes(1), 0);
    const token = s.token("10.0.0.1", 0);
    expect(token.length).toBe(TOKEN_BYTES);
    expect(s.valid("10.0.0.1", token, 1)).toBe(true);
    expect(s.valid("10.0.0.2", token, 1)).toBe(false);
    expect(s.valid("10.0.0.1", token.map((b) => b ^ 1), 1)).toBe(false);
    expect(s.valid("10.0.0.1", token.subarray(0, 4), 1)).toBe(false);
    expect(s.token("10.0.0.1", 2)).toEqual(token); // stable within a period
  });

  test("survives one rotation, not two", () => {
    const s = new TokenSecrets(seededBytes(2), 0);
    const token = s.token("10.0.0.1", 1000);
    expect(s.valid("10.0.0.1", token, TOKEN_ROTATE_MS + 1000)).toBe(true); // previous secret
    expect(s.token("10.0.0.1", TOKEN_ROTATE_MS + 1000)).not.toEqual(token);
    expect(s.valid("10.0.0.1", token, 2 * TOKEN_ROTATE_MS + 1000)).toBe(false);
  });

  test("after a long silence no old token passes", () => {
    const s = new TokenSecrets(seededBytes(3), 0);
    const token = s.token("10.0.0.1", 0);
    expect(s.valid("10.0.0.1", token, 7 * TOKEN_ROTATE_MS)).toBe(false);
  });

  test("two nodes hand out different tokens", () => {
    const a = new TokenSecrets(seededBytes(4), 0);
    const b = new TokenSecrets(seededBytes(5), 0);
    expect(a.token("10.0.0.1", 0)).not.toEqual(b.token("10.0.0.1", 0));
    expect(b.valid("10.0.0.1", a.token("10.0.0.1", 0), 0)).toBe(false);
  });
});
