// Test helper: a real HTTP origin for BEP 19 web seed tests, Debian's lighttpd on 127.0.0.1 and a free
// port, from a config file written here (document root = the payload directory). Loopback only.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, waitForPort } from "./ports.ts";
import { makeTempDir, requireBinary, spawnManaged, type ManagedProcess } from "./process.ts";

export interface Lighttpd extends AsyncDisposable {
  readonly process: ManagedProcess;
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `lighttpd -D -f CONF` serving `documentRoot` (static files, Range requests on, keep-alive). */
export async function startLighttpd(documentRoot: string): Promise<Lighttpd> {
  const binary = requireBinary("lighttpd");
  const dir = await makeTempDir("ripple-lighttpd-");
  const port = await freePort();
  const quote = (s: string) => JSON.stringify(s);
  const conf = [
    `server.document-root = ${quote(documentRoot)}`,
    `server.bind = "127.0.0.1"`,
    `server.port = ${port}`,
    `server.errorlog = ${quote(join(dir, "error.log"))}`,
    `server.range-requests = "enable"`,
    `server.max-keep-alive-requests = 10000`,
    `mimetype.assign = ( "" => "application/octet-stream" )`,
    `dir-listing.activate = "disable"`,
    "",
  ].join("\n");
  await writeFile(join(dir, "lighttpd.conf"), conf);
  const p = await spawnManaged([binary, "-D", "-f", join(dir, "lighttpd.conf")], { name: `lighttpd :${port}`, tempDirs: [dir] });
  try {
    await waitForPort(port, {
      what: `lighttpd on 127.0.0.1:${port}`,
      check: () => {
        if (p.hasExited) throw new Error(`lighttpd exited early\n${p.logTail(20)}`);
      },
    });
  } catch (err) {
    await p.stop();
    throw err;
  }
  const stop = () => p.stop();
  return {
    process: p,
    url: `http://127.0.0.1:${port}/`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
