// `ripple daemon`: many torrents in one process behind a qBittorrent-compatible Web API (src/daemon),
// until SIGINT/SIGTERM. Shell: options, credentials, the `listening` line or event, signals.

import { defineCommand, type ArgsDef, type ParsedArgs } from "citty";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { Daemon, startHttpApi, type AuthOptions, type DaemonOptions } from "../../daemon/index.ts";
import { RippleError, createLogger, errorMessage, systemClock, toHex, type Clock } from "../../util/index.ts";
import { EXIT } from "../exit-codes.ts";
import { intOption, repeatedOption } from "../options.ts";
import { emitJson, type OutputMode } from "../progress.ts";
import { stderrSink, writeErr, writeOut } from "../output.ts";
import { onStopSignal, type StopSignal } from "../signals.ts";
import { parseSeedLimits, parseTorrentArgs, torrentArgs, type TorrentRunOptions } from "../torrent-args.ts";

const { torrent: _t, output: _o, select: _s, exclude: _e, peer: _p, preallocate: _pa, "no-trackers": _nt, "no-web-seeds": _nw, ...peerArgs } = torrentArgs;

const ARGS = {
  "state-dir": { type: "string", description: "Where the daemon keeps its torrents between runs (default ~/.config/ripple/daemon)" },
  "download-dir": { type: "string", description: "Default save path, and where save paths may point (default STATE_DIR/downloads)" },
  "allow-save-path": { type: "string", description: "Also allow save paths under this directory (repeatable)" },
  http: { type: "string", description: "Address of the Web API, HOST:PORT (default 127.0.0.1:8080; port 0 = any free port)" },
  "api-key": { type: "string", description: "Accept Authorization: Bearer KEY (repeatable; also RIPPLE_API_KEY)" },
  username: { type: "string", description: "Web API login name (default admin); kept in the state dir" },
  password: { type: "string", description: "Web API login password; kept (hashed) in the state dir" },
  "auth-localhost": { type: "boolean", description: "--no-auth-localhost: requests from 127.0.0.1/::1 need no login (off by default)" },
  "max-active-downloads": { type: "string", description: "Downloads at once; more wait queued (default 3; -1 = no limit)" },
  "seed-ratio": { type: "string", description: "Stop a complete torrent once uploaded / size reaches this (torrents without their own ratioLimit)" },
  "seed-time": { type: "string", description: "Stop a complete torrent after seeding this long, e.g. 30m or 2d (rounded up to minutes)" },
  ...peerArgs,
} as const satisfies ArgsDef;

const DEFAULT_HTTP = "127.0.0.1:8080";

type WebApiServer = ReturnType<typeof startHttpApi>;

function parseHttpAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new RippleError("USAGE", `--http: expected HOST:PORT (e.g. 127.0.0.1:8080), got "${text}"`);
  return { host: m[1] ?? m[2]!, port };
}

export const daemonCommand = defineCommand({
  meta: { name: "daemon", description: "Run many torrents in one process, with a qBittorrent-compatible Web API (for Sonarr, Radarr...)" },
  args: ARGS,
  async run({ args, rawArgs }) {
    const clock = systemClock;
    const o = parseTorrentArgs({ ...args, torrent: "" }, rawArgs);
    const setup = daemonSetup(args, rawArgs, o, clock);
    const daemon = Daemon.open(setup.options);
    try {
      const { auth, temporary } = await webApiLogin(daemon, args, setup.apiKeys);
      const server = serveWebApi(daemon, setup, auth);
      const urlHost = setup.http.host.includes(":") ? `[${setup.http.host}]` : setup.http.host;
      const url = `http://${urlHost}:${server.port}`;
      const { promise, resolve: stop } = Promise.withResolvers<StopSignal>();
      const offSignals = onStopSignal(stop);
      announceListening(daemon, setup, url, temporary);
      await shutDown(await promise, server, daemon, offSignals, setup);
    } catch (err) {
      await daemon.close();
      throw err;
    }
  },
});

/** The command line made into the Daemon's options, the Web API's address and its API keys. */
interface DaemonSetup {
  options: DaemonOptions & Required<Pick<DaemonOptions, "maxActiveDownloads" | "shareLimits" | "log" | "clock">>;
  http: { host: string; port: number };
  apiKeys: string[];
  mode: OutputMode;
}

/** Validates the options (USAGE errors, in this order) and resolves the state and download directories. */
function daemonSetup(args: ParsedArgs<typeof ARGS>, rawArgs: readonly string[], o: TorrentRunOptions, clock: Clock): DaemonSetup {
  const log = createLogger(o.verbose ? 4 : o.mode === "quiet" || o.mode === "json" ? 0 : 3, stderrSink);
  const home = process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config");
  const stateDir = resolve(typeof args["state-dir"] === "string" ? args["state-dir"] : join(home, "ripple", "daemon"));
  const downloadDir = resolve(typeof args["download-dir"] === "string" ? args["download-dir"] : join(stateDir, "downloads"));
  const http = parseHttpAddress(typeof args.http === "string" ? args.http : DEFAULT_HTTP);
  const seed = parseSeedLimits(args);
  const shareLimits = { ...(seed.ratio !== undefined && { ratio: seed.ratio }), ...(seed.timeMs !== undefined && { seedingTimeMin: Math.ceil(seed.timeMs / 60_000) }) };
  const maxActiveDownloads = intOption("max-active-downloads", args["max-active-downloads"], -1, 10_000) ?? 3;
  const apiKeys = [...repeatedOption(ARGS, rawArgs, "api-key"), ...(process.env.RIPPLE_API_KEY ? [process.env.RIPPLE_API_KEY] : [])];
  if (apiKeys.some((k) => k.length < 16)) throw new RippleError("USAGE", "--api-key: use at least 16 characters");
  const options = {
    stateDir,
    downloadDir,
    allowedSaveRoots: repeatedOption(ARGS, rawArgs, "allow-save-path"),
    client: o.client,
    maxActiveDownloads,
    shareLimits,
    log,
    clock,
  };
  return { options, http, apiKeys, mode: o.mode };
}

/**
 * Who may use the Web API: --password (kept, hashed, in the state), the saved login, API keys, and
 * with none of these, as qBittorrent does, a temporary password for this run only (printed once).
 */
async function webApiLogin(daemon: Daemon, args: ParsedArgs<typeof ARGS>, apiKeys: string[]): Promise<{ auth: AuthOptions; temporary?: string }> {
  const state = daemon.state;
  let temporary: string | undefined;
  if (typeof args.password === "string") {
    if (args.password.length < 6) throw new RippleError("USAGE", "--password: use at least 6 characters");
    state.credentials = { username: typeof args.username === "string" ? args.username : "admin", passwordHash: await Bun.password.hash(args.password) };
    await daemon.save();
  } else if (!state.credentials && apiKeys.length === 0) {
    temporary = toHex(crypto.getRandomValues(new Uint8Array(9)));
    state.credentials = { username: "admin", passwordHash: await Bun.password.hash(temporary) };
  }
  const auth: AuthOptions = { ...(state.credentials && { credentials: state.credentials }), apiKeys, bypassLocalhost: args["auth-localhost"] === false };
  if (temporary !== undefined) delete state.credentials; // not saved: the next run prints a new one
  return { auth, ...(temporary !== undefined && { temporary }) };
}

/** Starts the Web API; a port it cannot bind is PORT_IN_USE. */
function serveWebApi(daemon: Daemon, setup: DaemonSetup, auth: AuthOptions): WebApiServer {
  const { http, options } = setup;
  const { client, maxActiveDownloads, shareLimits, log } = options;
  try {
    return startHttpApi({
      daemon,
      host: http.host,
      port: http.port,
      auth,
      prefs: { listenPort: daemon.client.port, dht: client.dht !== undefined, encryption: client.encryption ?? "prefer", maxActiveDownloads, ...shareLimits },
      log,
    });
  } catch (err) {
    throw new RippleError("PORT_IN_USE", `cannot serve the Web API on ${http.host}:${http.port}: ${errorMessage(err)}`, { cause: err });
  }
}

/** The Web API's URL on stdout (or the `listening` event), and on stderr where the peers and state are and any temporary login. */
function announceListening(daemon: Daemon, setup: DaemonSetup, url: string, temporary: string | undefined): void {
  const { mode, options } = setup;
  const { stateDir, downloadDir, clock } = options;
  if (mode === "json") emitJson("listening", { http: url, port: daemon.client.port, stateDir, downloadDir, torrents: daemon.views().length, ...(temporary !== undefined && { username: "admin", temporaryPassword: temporary }) }, clock);
  else if (mode !== "quiet") writeOut(`${url}\n`);
  if (mode !== "quiet" && mode !== "json") {
    writeErr(`ripple daemon: qBittorrent Web API v2 on ${url}, peers on port ${daemon.client.port}, state in ${stateDir}\n`);
    if (temporary !== undefined) writeErr(`Web API login for this run: admin / ${temporary} (set --password or --api-key to keep one)\n`);
  }
}

/** On SIGINT/SIGTERM: the Web API stops, the daemon saves and closes, and the exit code tells which signal. */
async function shutDown(signal: StopSignal, server: WebApiServer, daemon: Daemon, offSignals: () => void, setup: DaemonSetup): Promise<void> {
  await server.stop(true);
  await daemon.close();
  offSignals();
  if (setup.mode === "json") emitJson("stopped", { signal }, setup.options.clock);
  process.exitCode = signal === "SIGINT" ? EXIT.INTERRUPTED : EXIT.TERMINATED;
}
