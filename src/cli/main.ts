#!/usr/bin/env bun
// ripple's entry point. `ripple --version` answers here, before anything else loads; every other call
// loads the argument handling (cli.ts), which loads only the command it runs. Start-up time is mostly
// module evaluation (consola and node:stream/tty/readline take tens of ms), so nothing heavy is static here.

import { writeSync } from "node:fs";
import { VERSION } from "../version.ts";

const rawArgs = process.argv.slice(2);
const COMMANDS = ["create", "download", "info", "tracker", "seed", "verify"];
const sub = COMMANDS.includes(rawArgs[0] ?? "") ? 1 : 0;
// Only `ripple --version` (or `ripple <command> --version`): a -v elsewhere is a value or a typo.
if (["--version", "-v"].includes(rawArgs[sub] ?? "") && !rawArgs.includes("--help") && !rawArgs.includes("-h")) {
  writeSync(1, `ripple ${VERSION}\n`);
  process.exit(0);
}
const { run } = await import("./cli.ts");
process.exit(await run(rawArgs));
