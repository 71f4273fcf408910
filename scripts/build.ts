// Builds the single ripple executable: `bun build --compile` of the CLI into dist/ripple.

import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { compileArgv } from "./build-argv.ts";

mkdirSync("dist", { recursive: true });
// The chunks' source maps carry content hashes in their names: drop the previous build's, or they pile up.
for (const name of readdirSync("dist")) if (name.endsWith(".js.map")) rmSync(`dist/${name}`);
const proc = Bun.spawnSync(compileArgv("src/cli/main.ts", "dist/ripple", { minify: true, sourcemap: true }), {
  stdout: "inherit",
  stderr: "inherit",
});
if (proc.exitCode !== 0) {
  console.error(`build failed with exit code ${proc.exitCode}`);
  process.exit(proc.exitCode ?? 1);
}
console.log("built dist/ripple");
