// Test helper: builds the single executable once per test process (`bun build --compile`, as
// scripts/build.ts does) into a temp dir, so CLI and interop tests run what users run. Tests get a
// wrapper that runs it with RIPPLE_DHT=off (unless the caller's environment says otherwise): Bun.spawn
// passes the environment the test process started with, not process.env as changed at run time, so
// this is what keeps every ripple a test starts away from the public DHT routers.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compileArgv } from "../../scripts/build-argv.ts";

const ROOT = resolve(import.meta.dir, "../..");
let built: Promise<string> | undefined;

/** Path of a freshly compiled ripple binary (built on first call, reused after). */
export function rippleBinary(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "ripple-bin-"));
    // ~100 MB each: removed when the test process exits, so runs do not pile them up in /tmp.
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, "ripple-bin");
    const proc = Bun.spawn(compileArgv("src/cli/main.ts", outfile), { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`bun build --compile failed (exit ${code}): ${stderr}`);
    const wrapper = join(dir, "ripple");
    writeFileSync(wrapper, `#!/bin/sh\nRIPPLE_DHT="\${RIPPLE_DHT:-off}" exec '${outfile}' "$@"\n`, { mode: 0o755 });
    return wrapper;
  })();
  return built;
}
