// `ripple --help` and `ripple <command> --help` write no ANSI colour codes into a pipe or under NO_COLOR
// (citty colours its usage unless NO_COLOR is exactly "1", whatever stdout is). Runs the compiled binary
// with an environment that does not hide the bug (no CI, TEST or NO_COLOR, a colour terminal type).

import { beforeAll, describe, expect, test } from "bun:test";
import { rippleBinary } from "../helpers/binary.ts";
import { hasBinary } from "../helpers/process.ts";

const ESC = "\x1b[";
let binary: string;

beforeAll(async () => {
  binary = await rippleBinary();
}, 120_000);

/** The runner's environment without what makes citty drop colour on its own. */
function colourEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !["CI", "TEST", "NO_COLOR"].includes(k)) env[k] = v;
  return { ...env, TERM: "xterm-256color", ...extra };
}

async function helpThroughPipe(args: string[], env: Record<string, string>): Promise<string> {
  const proc = Bun.spawn([binary, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore", env });
  const [code, stdout] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
  expect(code).toBe(0);
  return stdout;
}

/** Runs the command on a pseudo-terminal (util-linux `script`), returning what the terminal showed. */
async function helpOnTerminal(args: string[], env: Record<string, string>): Promise<string> {
  const command = [binary, ...args].map((a) => `'${a}'`).join(" ");
  const proc = Bun.spawn(["script", "-qec", command, "/dev/null"], { stdout: "pipe", stderr: "pipe", stdin: "ignore", env });
  const [code, shown] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
  expect(code).toBe(0);
  return shown;
}

const HELP_CALLS = [["--help"], ["download", "--help"], ["seed", "-h"], ["create", "--help"], ["tracker", "--help"]];

describe("help output and colour", () => {
  test("into a pipe: no escape codes, the usage intact", async () => {
    for (const args of HELP_CALLS) {
      const out = await helpThroughPipe(args, colourEnv());
      expect(out).toContain("USAGE");
      expect(out).not.toContain(ESC);
    }
  });

  test("into a pipe with NO_COLOR set to any value: no escape codes", async () => {
    expect(await helpThroughPipe(["--help"], colourEnv({ NO_COLOR: "yes" }))).not.toContain(ESC);
  });

  test.skipIf(!hasBinary("script"))("on a terminal: coloured, unless NO_COLOR is set (any non-empty value)", async () => {
    // The control: a terminal does get colour, so the NO_COLOR case below is a real check.
    expect(await helpOnTerminal(["--help"], colourEnv())).toContain(ESC);
    for (const value of ["1", "yes"]) {
      const shown = await helpOnTerminal(["download", "--help"], colourEnv({ NO_COLOR: value }));
      expect(shown).toContain("USAGE");
      expect(shown).not.toContain(ESC);
    }
  });
});
