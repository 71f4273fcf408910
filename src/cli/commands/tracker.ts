// `ripple tracker`: run a BitTorrent tracker (HTTP BEP 3/23/7/48 and UDP BEP 15 on one port) until
// SIGINT/SIGTERM, e.g. for a CI swarm. Shell: prints the announce URLs, exits 130/143 on a signal.

import { defineCommand, type ArgsDef } from "citty";
import { RippleError, createLogger, fromHex, systemClock } from "../../util/index.ts";
import { parseIpAddress, startTrackerServer, type TrackerServerStats } from "../../tracker/index.ts";
import { intOption, repeatedOption } from "../options.ts";
import { emitJson, outputArgs } from "../progress.ts";
import { stderrSink, writeErr, writeOut } from "../output.ts";
import { EXIT } from "../exit-codes.ts";
import { onStopSignal, type StopSignal } from "../signals.ts";

const DEFAULT_PORT = 6969;
/** Short on purpose: a CI swarm comes and goes in minutes, and silent peers expire after 2 x interval + 60 s. */
const DEFAULT_INTERVAL_SEC = 60;

const ARGS = {
  host: { type: "string", description: "Address to listen on (a literal IP)", default: "127.0.0.1" },
  port: { type: "string", alias: "p", description: `Port for both HTTP and UDP (0 = any free port; default ${DEFAULT_PORT})` },
  http: { type: "boolean", description: "Serve HTTP announces (neither --http nor --udp = both)" },
  udp: { type: "boolean", description: "Serve UDP announces, BEP 15 (neither --http nor --udp = both)" },
  interval: { type: "string", description: `Seconds between announces asked of peers (default ${DEFAULT_INTERVAL_SEC})` },
  allow: { type: "string", description: "Track only this infoHash, 40 hex digits (repeatable; default: any)" },
  ...outputArgs("Log every announce and scrape, and stacks on errors"),
} satisfies ArgsDef;

export const trackerCommand = defineCommand({
  meta: { name: "tracker", description: "Run a BitTorrent tracker (HTTP and UDP on one port) until interrupted" },
  args: ARGS,
  async run({ args, rawArgs }) {
    const clock = systemClock;
    const mode = args.json ? "json" : args.quiet ? "quiet" : "plain";
    const log = createLogger(args.verbose ? 4 : mode === "plain" ? 1 : 0, stderrSink);
    const host = args.host;
    const ip = parseIpAddress(host);
    if (ip === undefined) throw new RippleError("USAGE", `--host: expected a literal IPv4 or IPv6 address, got "${host}"`);
    const port = intOption("port", args.port, 0, 65535) ?? DEFAULT_PORT;
    const intervalSec = intOption("interval", args.interval, 1, 86_400) ?? DEFAULT_INTERVAL_SEC;
    const allow = repeatedOption(ARGS, rawArgs, "allow").map((hex) => {
      if (hex.length !== 40 || fromHex(hex) === undefined) throw new RippleError("USAGE", `--allow: expected a 40-digit hex infoHash, got "${hex}"`);
      return hex.toLowerCase();
    });
    const both = !args.http && !args.udp;
    const server = await startTrackerServer({
      host,
      port,
      http: both || args.http === true,
      udp: both || args.udp === true,
      intervalSec,
      ...(allow.length > 0 && { allow }),
      log,
      clock,
    });

    const urlHost = ip.bytes.length === 16 ? `[${ip.text}]` : ip.text;
    const urls = {
      ...(server.httpPort !== undefined && { http: `http://${urlHost}:${server.httpPort}/announce` }),
      ...(server.udpPort !== undefined && { udp: `udp://${urlHost}:${server.udpPort}` }),
    };
    // Handlers first: a script may signal as soon as it has read the URLs.
    const { promise, resolve } = Promise.withResolvers<StopSignal>();
    const offSignals = onStopSignal(resolve);
    if (mode === "json") emitJson("listening", urls, clock);
    else if (mode === "plain") writeOut(Object.values(urls).join("\n") + "\n");

    const signal = await promise;
    const stats = server.stats();
    await server.stop();
    offSignals();
    if (mode === "json") emitJson("stopped", { signal, ...stats }, clock);
    else if (mode === "plain") writeErr(`tracker stopped by ${signal}: ${summary(stats)}\n`);
    process.exitCode = signal === "SIGINT" ? EXIT.INTERRUPTED : EXIT.TERMINATED;
  },
});

function summary(s: TrackerServerStats): string {
  return `${s.httpAnnounces + s.udpAnnounces} announces, ${s.httpScrapes + s.udpScrapes} scrapes, ${s.torrents} torrents, ${s.peers} peers`;
}
