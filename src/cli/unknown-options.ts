// Rejects command-line flags a command does not define (citty itself ignores them), so a typo such as
// `--ouput` is a usage error (exit 2) instead of being silently dropped. Pure.

import type { ArgsDef } from "citty";
import { RippleError } from "../util/index.ts";

/** Flags every command accepts, handled before citty runs. */
const GLOBAL_FLAGS = ["--help", "-h", "--version", "-v"];

/** Throws RippleError("USAGE") naming the first flag in `rawArgs` that `args` does not define. */
export function checkUnknownOptions(args: ArgsDef, rawArgs: readonly string[]): void {
  const known = new Set(GLOBAL_FLAGS);
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    known.add(`--${name}`);
    if (def.type === "boolean") known.add(`--no-${name}`);
    const aliases = "alias" in def && def.alias !== undefined ? [def.alias].flat() : [];
    for (const alias of aliases) known.add(alias.length === 1 ? `-${alias}` : `--${alias}`);
  }
  for (const arg of rawArgs) {
    if (arg === "--") return; // everything after is positional
    if (!arg.startsWith("-") || arg === "-") continue;
    const flag = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
    if (!known.has(flag)) throw new RippleError("USAGE", `unknown option ${flag}`);
  }
}
