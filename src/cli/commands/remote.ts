// `ripple remote add|list|stop|start|delete`: a client of a ripple daemon (or any qBittorrent) over the
// Web API v2. Shell: HTTP requests, a table or JSON on stdout; an HTTP error is exit 10, no answer exit 4.

import { defineCommand, type ArgsDef } from "citty";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { RippleError, errorMessage } from "../../util/index.ts";
import { formatBytes, formatRate } from "../format.ts";
import { writeOut } from "../output.ts";

const ARGS = {
  action: { type: "positional", description: "add | list | stop | start | delete", required: true },
  target: { type: "positional", description: "add: a magnet link or a .torrent file; stop/start/delete: hashes joined by | or , (or all)", required: false },
  url: { type: "string", description: "The daemon's Web API (default http://127.0.0.1:8080; also RIPPLE_URL)" },
  "api-key": { type: "string", description: "Send Authorization: Bearer KEY (also RIPPLE_API_KEY)" },
  username: { type: "string", description: "Log in with this name (default admin) and --password" },
  password: { type: "string", description: "Log in with this password" },
  json: { type: "boolean", description: "list: print the daemon's JSON" },
  category: { type: "string", description: "add: category; list: only this category" },
  tags: { type: "string", description: "add: tags, comma-separated" },
  savepath: { type: "string", description: "add: save path (under the daemon's allowed directories)" },
  stopped: { type: "boolean", description: "add: add it stopped" },
  filter: { type: "string", description: "list: all, downloading, seeding, completed, stopped, active, inactive, errored..." },
  "delete-files": { type: "boolean", description: "delete: remove the downloaded data too" },
} as const satisfies ArgsDef;

type Args = { [K in keyof typeof ARGS]?: unknown };

class Remote {
  readonly #base: string;
  readonly #headers: Record<string, string> = {};
  readonly #args: Args;

  constructor(args: Args) {
    this.#args = args;
    this.#base = (typeof args.url === "string" ? args.url : process.env.RIPPLE_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
    const key = typeof args["api-key"] === "string" ? args["api-key"] : process.env.RIPPLE_API_KEY;
    if (key) this.#headers.authorization = `Bearer ${key}`;
  }

  async #fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = `${this.#base}/api/v2${path}`;
    try {
      return await fetch(url, { ...init, headers: { ...this.#headers, ...(init.headers as Record<string, string>) }, redirect: "manual" });
    } catch (err) {
      throw new RippleError("UNREACHABLE", `no answer from ${this.#base}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async login(): Promise<void> {
    if (typeof this.#args.password !== "string") return;
    const body = new URLSearchParams({ username: typeof this.#args.username === "string" ? this.#args.username : "admin", password: this.#args.password });
    const res = await this.#fetch("/auth/login", { method: "POST", body });
    const cookie = res.headers.get("set-cookie") ?? "";
    const sid = /SID=([^;]+)/.exec(cookie)?.[1];
    if (!sid) throw new RippleError("REMOTE", `login to ${this.#base} failed: ${(await res.text()).trim() || res.status}`);
    this.#headers.cookie = `SID=${sid}`;
  }

  async call(path: string, init: RequestInit = {}): Promise<string> {
    const res = await this.#fetch(path, init);
    const body = await res.text();
    if (!res.ok) throw new RippleError("REMOTE", `${path}: HTTP ${res.status}: ${body.trim().split("\n")[0]}`);
    if (body.trim() === "Fails.") throw new RippleError("REMOTE", `${path}: the daemon refused it (already added?)`);
    return body;
  }
}

function hashesArg(target: unknown, action: string): string {
  if (typeof target !== "string" || target === "") throw new RippleError("USAGE", `remote ${action}: give the torrents' hashes (joined by | or ,) or "all"`);
  return target.split(/[|,]/).map((h) => h.trim()).filter(Boolean).join("|");
}

function table(rows: Record<string, unknown>[]): string {
  const head = ["HASH", "NAME", "STATE", "DONE", "SIZE", "DOWN", "UP", "RATIO", "CATEGORY"];
  const lines = rows.map((t) => [
    String(t.hash).slice(0, 8),
    String(t.name),
    String(t.state),
    `${(Number(t.progress) * 100).toFixed(1)}%`,
    formatBytes(Number(t.size)),
    formatRate(Number(t.dlspeed)),
    formatRate(Number(t.upspeed)),
    Number(t.ratio).toFixed(2),
    String(t.category || "-"),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [head, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n") + "\n";
}

export const remoteCommand = defineCommand({
  meta: { name: "remote", description: "Control a ripple daemon (or qBittorrent) through its Web API: add, list, stop, start, delete" },
  args: ARGS,
  async run({ args }) {
    const remote = new Remote(args);
    const action = String(args.action);
    if (!["add", "list", "stop", "start", "delete"].includes(action)) throw new RippleError("USAGE", `remote: unknown action "${action}" (add, list, stop, start, delete)`);
    await remote.login();
    switch (action) {
      case "list": {
        const q = new URLSearchParams({
          ...(typeof args.filter === "string" && { filter: args.filter }),
          ...(typeof args.category === "string" && { category: args.category }),
        });
        const body = await remote.call(`/torrents/info${q.size > 0 ? `?${q}` : ""}`);
        if (args.json) writeOut(body.trim() + "\n");
        else writeOut(table(JSON.parse(body) as Record<string, unknown>[]));
        return;
      }
      case "add": {
        const target = args.target;
        if (typeof target !== "string" || target === "") throw new RippleError("USAGE", "remote add: give a magnet link or a .torrent file");
        const form = new FormData();
        if (target.startsWith("magnet:")) form.append("urls", target);
        else {
          const bytes = await readFile(target).catch((err: unknown) => {
            throw new RippleError("TORRENT_FILE", `cannot read ${target}: ${errorMessage(err)}`, { cause: err });
          });
          form.append("torrents", new File([bytes], basename(target), { type: "application/x-bittorrent" }));
        }
        for (const name of ["category", "tags", "savepath"] as const) if (typeof args[name] === "string") form.append(name, args[name]);
        if (args.stopped) form.append("stopped", "true");
        await remote.call("/torrents/add", { method: "POST", body: form });
        if (!args.json) writeOut(`added ${target.startsWith("magnet:") ? "magnet" : basename(target)}\n`);
        return;
      }
      default: {
        const body = new URLSearchParams({ hashes: hashesArg(args.target, action), ...(action === "delete" && { deleteFiles: String(args["delete-files"] === true) }) });
        await remote.call(`/torrents/${action}`, { method: "POST", body });
      }
    }
  },
});
