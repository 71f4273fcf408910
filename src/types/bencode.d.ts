// Types for the `bencode` package (v4 ships none); only what src/bencode/encode.ts uses.
declare module "bencode" {
  const bencode: {
    encode(data: unknown): Uint8Array;
    decode(data: Uint8Array, start?: number, end?: number, encoding?: string): unknown;
  };
  export default bencode;
}
