// ripple command line: parses arguments with citty, runs a command, maps errors to one line + exit code.
// Commands load on demand (main.ts's start-up budget): `ripple verify` never evaluates the swarm.

import { defineCommand, renderUsage, runCommand, type ArgsDef, type CommandDef } from "citty";
import { VERSION } from "../version.ts";
import { exitCodeFor } from "./exit-codes.ts";
import { checkArguments } from "./unknown-options.ts";
import { writeErr, writeOut } from "./output.ts";
import { emitJson } from "./progress.ts";
import { RippleError, systemClock } from "../util/index.ts";

const subCommands: Record<string, () => Promise<CommandDef<any>>> = {
  daemon: () => import("./commands/daemon.ts").then((m) => m.daemonCommand),
  remote: () => import("./commands/remote.ts").then((m) => m.remoteCommand),
  create: () => import("./commands/create.ts").then((m) => m.createCommand),
  download: () => import("./commands/download.ts").then((m) => m.downloadCommand),
  info: () => import("./commands/info.ts").then((m) => m.infoCommand),
  tracker: () => import("./commands/tracker.ts").then((m) => m.trackerCommand),
  seed: () => import("./commands/seed.ts").then((m) => m.seedCommand),
  verify: () => import("./commands/verify.ts").then((m) => m.verifyCommand),
};

const main = defineCommand({
  meta: { name: "ripple", version: VERSION, description: "A BitTorrent client for the command line" },
  subCommands,
});

const ANSI_SGR = /\x1b\[[0-9;]*m/g;

/** citty colours usage unless NO_COLOR is exactly "1", even into a pipe: colour only a terminal, and honour any NO_COLOR (no-color.org). */
function useColour(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

export async function run(rawArgs: string[]): Promise<number> {
  const verbose = rawArgs.includes("--verbose") || rawArgs.includes("-V");
  const load = rawArgs[0] !== undefined && Object.hasOwn(subCommands, rawArgs[0]) ? subCommands[rawArgs[0]] : undefined;
  const sub = await load?.();
  if (rawArgs.includes("--help") || rawArgs.includes("-h") || rawArgs.length === 0) {
    const usage = await (sub ? renderUsage(sub, main) : renderUsage(main));
    writeOut(`${useColour() ? usage : usage.replace(ANSI_SGR, "")}\n\n`);
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
    const message = (err instanceof Error ? err.message : String(err)).replace(ANSI_SGR, "");
    // A script reading --json events sees the end too: one `error` event, besides the line on stderr.
    if (rawArgs.includes("--json")) emitJson("error", { message, exitCode: code, ...(err instanceof RippleError && { code: err.code }) }, systemClock);
    writeErr(`ripple: ${message}\n`);
    if (code === 2) writeErr(`hint: run "ripple ${sub ? rawArgs[0] + " " : ""}--help" for usage\n`);
    if (verbose && err instanceof Error && err.stack) writeErr(err.stack + "\n");
    else if (code === 1) writeErr("hint: this is a bug in ripple; run again with --verbose for details\n");
    return code;
  }
}
