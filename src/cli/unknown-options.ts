// Checks a command line against what a command defines, which citty does not: an unknown flag (a typo
// such as `--ouput`) or a stray extra argument is a usage error (exit 2) instead of being ignored. Pure.

import type { ArgsDef } from "citty";
import { RippleError } from "../util/index.ts";

/** Flags every command accepts, handled before citty runs. */
const GLOBAL_FLAGS = ["--help", "-h", "--version", "-v"];

/** Throws RippleError("USAGE") naming the first unknown flag or the first positional argument too many. */
export function checkArguments(args: ArgsDef, rawArgs: readonly string[]): void {
  const known = new Set(GLOBAL_FLAGS);
  /** Flags that take a value: the next argument is that value, even when it starts with "-". */
  const takesValue = new Set<string>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const names = [`--${name}`, ...("alias" in def && def.alias !== undefined ? [def.alias].flat() : []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
    for (const n of names) {
      known.add(n);
      if (def.type !== "boolean") takesValue.add(n);
    }
    if (def.type === "boolean") known.add(`--no-${name}`);
  }
  const positionals = Object.values(args).filter((d) => d.type === "positional").length;
  let seen = 0;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") {
      seen += rawArgs.length - i - 1;
      break;
    }
    if (arg.startsWith("-") && arg !== "-") {
      const flag = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
      if (!known.has(flag)) throw new RippleError("USAGE", `unknown option ${flag}`);
      if (takesValue.has(flag) && !arg.includes("=")) i++;
      continue;
    }
    if (++seen > positionals) throw new RippleError("USAGE", `unexpected argument "${arg}"`);
  }
}
