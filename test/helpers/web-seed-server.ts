// Test helper: an HTTP origin for BEP 19 web seed tests, Bun.serve on 127.0.0.1 (port 0) serving a
// directory with Range support, or misbehaving on purpose (no Range, corrupt bytes, missing files).

import { join, normalize, sep } from "node:path";

export type WebSeedBehaviour = "range" | "no-range" | "corrupt" | "fail-500" | "short";

export interface WebSeedServerOptions {
  /** Directory served at "/". */
  root: string;
  behaviour?: WebSeedBehaviour;
  /** Paths (below root, "/"-separated) answered with 404. */
  missing?: readonly string[];
}

export interface WebSeedServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** Decoded paths requested, with their Range headers, in order. */
  readonly requests: { path: string; range: string | null }[];
  stop(): Promise<void>;
}

export function startWebSeedServer(options: WebSeedServerOptions): WebSeedServer {
  const behaviour = options.behaviour ?? "range";
  const missing = new Set(options.missing ?? []);
  const requests: { path: string; range: string | null }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname).replace(/^\/+/, "");
      const range = req.headers.get("range");
      requests.push({ path, range });
      const full = normalize(join(options.root, path));
      if (!full.startsWith(options.root + sep) || missing.has(path)) return new Response("not found", { status: 404 });
      const file = Bun.file(full);
      if (!(await file.exists())) return new Response("not found", { status: 404 });
      if (behaviour === "fail-500") return new Response("broken", { status: 500 });
      // Bun answers a Range request for a Bun.file body with 206 by itself: an ignoring server sends bytes.
      if (behaviour === "no-range") return new Response(await file.bytes());
      if (range === null) return new Response(file);
      const m = /^bytes=(\d+)-(\d+)$/.exec(range);
      if (!m) return new Response("bad range", { status: 416 });
      const first = Number(m[1]);
      const last = Math.min(Number(m[2]), file.size - 1);
      if (first >= file.size) return new Response("bad range", { status: 416, headers: { "Content-Range": `bytes */${file.size}` } });
      const headers = { "Content-Range": `bytes ${first}-${last}/${file.size}` };
      if (behaviour === "short") return new Response(await file.slice(first, last).bytes(), { status: 206, headers });
      if (behaviour === "corrupt") {
        const bytes = new Uint8Array(await file.slice(first, last + 1).arrayBuffer());
        for (let i = 0; i < bytes.length; i += 997) bytes[i]! ^= 0xff;
        return new Response(bytes, { status: 206, headers });
      }
      return new Response(file.slice(first, last + 1), { status: 206, headers });
    },
  });
  const stop = async () => {
    await server.stop(true);
  };
  return { url: `http://127.0.0.1:${server.port}/`, requests, stop, [Symbol.asyncDispose]: stop };
}
