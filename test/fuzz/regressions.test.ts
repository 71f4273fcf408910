// Replays the inputs the fuzz targets once failed on (test/fixtures/fuzz/), through the same checks, so
// a fixed decoder bug stays fixed whatever seed the property tests use.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FUZZ_LAYERS } from "./targets.ts";

const DIR = join(import.meta.dir, "../fixtures/fuzz");

/** Fixture file -> the target that found it; `.txt` files are replayed as text (trailing newline cut). */
const CASES: readonly { file: string; target: string; found: string }[] = [
  {
    file: "torrent-name-bom.torrent",
    target: "parseMetainfo accepts valid torrents: infoHash, geometry, names and paths exact",
    found: "a name starting with U+FEFF lost it (TextDecoder strips a leading BOM by default)",
  },
  {
    file: "magnet-dn-bom.txt",
    target: "parseMagnet: dn is exactly its percent-decoded UTF-8",
    found: "dn=%EF%BB%BF decoded to an empty name",
  },
  {
    file: "krpc-error-bom.bin",
    target: "decodeKrpc throws only DhtError; an error's text is the UTF-8 of its first 200 bytes",
    found: "a KRPC error message starting with U+FEFF lost it",
  },
];

const targets = new Map(Object.values(FUZZ_LAYERS).flatMap((ts) => ts.map((t) => [t.name, t] as const)));

describe("fuzz regressions", () => {
  for (const c of CASES) {
    test(`${c.file}: ${c.found}`, () => {
      const t = targets.get(c.target);
      expect(t).toBeDefined();
      const bytes = new Uint8Array(readFileSync(join(DIR, c.file)));
      const input = c.file.endsWith(".txt") ? new TextDecoder().decode(bytes).replace(/\n$/, "") : bytes;
      t!.check(input);
    });
  }
});
