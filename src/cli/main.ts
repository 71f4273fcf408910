#!/usr/bin/env bun
// ripple command line: parses arguments with citty, runs a command, maps errors to one line + exit code.

import { defineCommand, runCommand, showUsage, type ArgsDef, type CommandDef } from "citty";
import { VERSION } from "../version.ts";
import { createCommand } from "./commands/create.ts";
import { downloadCommand } from "./commands/download.ts";
import { infoCommand } from "./commands/info.ts";
import { trackerCommand } from "./commands/tracker.ts";
import { seedCommand } from "./commands/seed.ts";
import { verifyCommand } from "./commands/verify.ts";
import { exitCodeFor } from "./exit-codes.ts";
import { checkArguments } from "./unknown-options.ts";
import { writeErr, writeOut } from "./output.ts";
import { emitJson } from "./progress.ts";
import { RippleError } from "../util/index.ts";

const subCommands: Record<string, CommandDef<any>> = {
  create: createCommand,
  download: downloadCommand,
  info: infoCommand,
  tracker: trackerCommand,
  seed: seedCommand,
  verify: verifyCommand,
};

const main = defineCommand({
  meta: { name: "ripple", version: VERSION, description: "A BitTorrent client for the command line" },
  subCommands,
});

async function run(rawArgs: string[]): Promise<number> {
  const verbose = rawArgs.includes("--verbose") || rawArgs.includes("-V");
  const sub = rawArgs[0] !== undefined ? subCommands[rawArgs[0]] : undefined;
  if (rawArgs.includes("--help") || rawArgs.includes("-h") || rawArgs.length === 0) {
    await (sub ? showUsage(sub, main) : showUsage(main));
    return rawArgs.length === 0 ? 2 : 0;
  }
  // Only `ripple --version` (or `ripple <command> --version`): a -v elsewhere is a value or a typo.
  if (["--version", "-v"].includes(rawArgs[0] ?? "") || (sub !== undefined && ["--version", "-v"].includes(rawArgs[1] ?? ""))) {
    writeOut(`ripple ${VERSION}\n`);
    return 0;
  }
  try {
    if (sub?.args) checkArguments(sub.args as ArgsDef, rawArgs.slice(1));
    await runCommand(main, { rawArgs });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    const code = exitCodeFor(err);
    const message = (err instanceof Error ? err.message : String(err)).replace(/\x1b\[[0-9;]*m/g, "");
    // A script reading --json events sees the end too: one `error` event, besides the line on stderr.
    if (rawArgs.includes("--json")) emitJson("error", { message, exitCode: code, ...(err instanceof RippleError && { code: err.code }) });
    writeErr(`ripple: ${message}\n`);
    if (code === 2) writeErr(`hint: run "ripple ${sub ? rawArgs[0] + " " : ""}--help" for usage\n`);
    if (verbose && err instanceof Error && err.stack) writeErr(err.stack + "\n");
    else if (code === 1) writeErr("hint: this is a bug in ripple; run again with --verbose for details\n");
    return code;
  }
}

process.exit(await run(process.argv.slice(2)));
