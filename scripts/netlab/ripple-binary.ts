// The ripple executable the lab scripts run: built fresh from this checkout (`bun run build` -> dist/ripple),
// wrapped so that its DHT stays off unless the caller's environment says otherwise.

import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

export async function buildRipple(): Promise<string> {
  const proc = Bun.spawn(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`bun run build failed (exit ${code}): ${err}`);
  const wrapper = join(ROOT, "dist", "ripple-lab");
  writeFileSync(wrapper, `#!/bin/sh\nRIPPLE_DHT="\${RIPPLE_DHT:-off}" exec '${join(ROOT, "dist", "ripple")}' "$@"\n`, { mode: 0o755 });
  return wrapper;
}
