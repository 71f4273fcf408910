// Builds the single ripple executable: `bun build --compile` of the CLI into dist/ripple.

import { mkdirSync } from "node:fs";

mkdirSync("dist", { recursive: true });
const proc = Bun.spawnSync(["bun", "build", "--compile", "--minify", "--sourcemap", "src/cli/main.ts", "--outfile", "dist/ripple"], {
  stdout: "inherit",
  stderr: "inherit",
});
if (proc.exitCode !== 0) {
  console.error(`build failed with exit code ${proc.exitCode}`);
  process.exit(proc.exitCode ?? 1);
}
console.log("built dist/ripple");
