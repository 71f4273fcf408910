// Property tests over every decoder of hostile input, with a fixed seed and few runs so `bun test` stays
// fast and reproducible; scripts/fuzz.ts runs the same targets with random seeds for longer.

import { describe, test } from "bun:test";
import fc from "fast-check";
import { FUZZ_RUNS, FUZZ_SEED } from "../helpers/fuzz.ts";
import { FUZZ_LAYERS } from "./targets.ts";

for (const [layer, targets] of Object.entries(FUZZ_LAYERS)) {
  describe(`fuzz: ${layer}`, () => {
    for (const t of targets) {
      test(t.name, () => {
        fc.assert(fc.property(t.arbitrary, (input) => t.check(input)), { seed: FUZZ_SEED, numRuns: FUZZ_RUNS });
      });
    }
  });
}
