// RC4 as message stream encryption uses it: keyed with a 20-byte SHA-1 digest, the first 1024 bytes of
// keystream discarded. Pure; one instance per direction of one connection.

export class Rc4 {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Uint8Array, discard = 1024) {
    const s = this.#s;
    for (let i = 0; i < 256; i++) s[i] = i;
    for (let i = 0, j = 0; i < 256; i++) {
      j = (j + s[i]! + key[i % key.length]!) & 0xff;
      const t = s[i]!;
      s[i] = s[j]!;
      s[j] = t;
    }
    if (discard > 0) this.apply(new Uint8Array(discard));
  }

  /** XORs the next `data.length` keystream bytes into `data`, in place; returns `data`. */
  apply(data: Uint8Array): Uint8Array {
    const s = this.#s;
    let i = this.#i;
    let j = this.#j;
    for (let k = 0; k < data.length; k++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      data[k] = data[k]! ^ s[(si + sj) & 0xff]!;
    }
    this.#i = i;
    this.#j = j;
    return data;
  }
}
