// Randomness for peer ids, tracker keys and tie-breaks (the one shell file that draws entropy).

import { utf8 } from "./bytes.ts";

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** Azureus-style peer id: "-RP" + four version digits + "-" (0.1.0 gives -RP0001-), then 12 random printable bytes. */
export function generatePeerId(version: string): Uint8Array {
  const digits = version.split(".").map((n) => n.padStart(2, "0").slice(-2)).join("").slice(0, 4).padEnd(4, "0");
  const prefix = utf8(`-RP${digits}-`);
  const id = new Uint8Array(20);
  id.set(prefix, 0);
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const rnd = randomBytes(20 - prefix.length);
  for (let i = 0; i < rnd.length; i++) id[prefix.length + i] = alphabet.charCodeAt(rnd[i]! % alphabet.length);
  return id;
}

/** Fisher-Yates shuffle in place, returning the array. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
