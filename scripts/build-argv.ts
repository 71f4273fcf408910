// The `bun build --compile` command line of the ripple executable, shared by scripts/build.ts, the tests'
// binary (test/helpers/binary.ts) and the recheck benchmark. --splitting keeps each command (and the
// node:stream/tty/util modules consola and citty pull in) out of start-up until it is used: `ripple
// --version` evaluates main.ts alone (~10 ms instead of ~45 ms).

export function compileArgv(entry: string, outfile: string, options: { minify?: boolean; sourcemap?: boolean } = {}): string[] {
  return ["bun", "build", "--compile", "--splitting", ...(options.minify ? ["--minify"] : []), ...(options.sourcemap ? ["--sourcemap"] : []), entry, "--outfile", outfile];
}
