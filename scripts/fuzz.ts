// Long fuzzing runs: the targets of test/fuzz (every decoder of hostile input) with a random seed and
// many runs, round-robin until time is up. Shell (clock, console, exit code).
// Usage: bun run scripts/fuzz.ts [seconds=60] [name filter]

import fc from "fast-check";
import { FUZZ_LAYERS } from "../test/fuzz/targets.ts";

const seconds = Number(process.argv[2] ?? 60);
const filter = (process.argv[3] ?? "").toLowerCase();
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error("usage: bun run scripts/fuzz.ts [seconds] [name filter]");
  process.exit(2);
}

/** Runs per batch: small enough that the time limit is kept to within a few seconds. */
const RUNS_PER_BATCH = 2_000;

const targets = Object.entries(FUZZ_LAYERS).flatMap(([layer, ts]) =>
  ts.filter((t) => `${layer} ${t.name}`.toLowerCase().includes(filter)).map((t) => ({ layer, t, runs: 0 })),
);
if (targets.length === 0) {
  console.error(`no target matches "${filter}"`);
  process.exit(2);
}

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`fuzzing ${targets.length} targets for ${seconds} s, seed ${seed} (FUZZ_SEED=${seed} repeats this run)`);
/** Batch seeds from the run seed (mulberry32), so one printed seed repeats the whole run. */
let state = seed >>> 0;
function nextSeed(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) & 0x7fffffff;
}
const deadline = performance.now() + seconds * 1000;

/** A counterexample as text a test can paste: bytes as hex, strings quoted. */
function show(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? `hex:${Buffer.from(v).toString("hex")}` : typeof v === "bigint" ? `${v}n` : v));
}

while (performance.now() < deadline) {
  for (const entry of targets) {
    if (performance.now() >= deadline) break;
    const batchSeed = nextSeed();
    const result = fc.check(
      fc.property(entry.t.arbitrary, (input) => entry.t.check(input)),
      { seed: batchSeed, numRuns: RUNS_PER_BATCH },
    );
    entry.runs += result.numRuns;
    if (result.failed) {
      console.error(`\nFAILED ${entry.layer}: ${entry.t.name}`);
      console.error(`  reproduce: fc.assert(property, { seed: ${batchSeed}, path: "${result.counterexamplePath}" })`);
      console.error(`  counterexample: ${show(result.counterexample)}`);
      console.error(`  error: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`);
      console.error("  save the input under test/fixtures/fuzz/ and list it in test/fuzz/regressions.test.ts");
      process.exit(1);
    }
  }
}

for (const { layer, t, runs } of targets) console.log(`${String(runs).padStart(9)}  ${layer}: ${t.name}`);
console.log(`no failures in ${targets.reduce((n, e) => n + e.runs, 0)} runs (seed ${seed})`);
