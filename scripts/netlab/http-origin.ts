// An HTTP origin for the fleet (BEP 19 web seed): serves one directory with Range support (Bun answers
// Range requests for a file body with 206) on 0.0.0.0:PORT inside a lab host, and counts the bytes it
// serves. Prints {"event":"listening"} when up and {"event":"interrupted","uploadedBytes":N} on SIGTERM.
// Usage: bun http-origin.ts DIR PORT

import { join, normalize, sep } from "node:path";

const [root = ".", port = "8080"] = process.argv.slice(2);
let uploadedBytes = 0;
const say = (event: string, fields: object = {}): void => console.log(JSON.stringify({ event, ...fields }));

const server = Bun.serve({
  hostname: "0.0.0.0",
  port: Number(port),
  async fetch(req) {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url).pathname)));
    if (!path.startsWith(normalize(root) + sep)) return new Response("not found", { status: 404 });
    const file = Bun.file(path);
    if (!(await file.exists())) return new Response("not found", { status: 404 });
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.get("range") ?? "");
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] !== "" ? Math.min(Number(m[2]) + 1, file.size) : file.size;
    uploadedBytes += Math.max(0, end - start);
    return new Response(file);
  },
});
say("listening", { port: server.port });
process.on("SIGTERM", () => {
  say("interrupted", { uploadedBytes });
  process.exit(0);
});
