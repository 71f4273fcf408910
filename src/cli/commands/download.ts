// `ripple download <file.torrent>`: fetch a torrent into -o DIR and exit once every piece is verified.

import { defineCommand } from "citty";
import { RippleError, createLogger, type Logger } from "../../util/index.ts";
import { Client } from "../../client.ts";
import type { TorrentStats } from "../../swarm/index.ts";
import { loadTorrentFile } from "../load-torrent.ts";
import { intOption, peerOptions } from "../options.ts";
import { emitJson, reportProgress, statsJson, type OutputMode } from "../progress.ts";
import { formatBytes, formatDuration, formatRate } from "../format.ts";
import { EXIT } from "../exit-codes.ts";
import { onStopSignal, type StopSignal } from "../signals.ts";

export const downloadCommand = defineCommand({
  meta: { name: "download", description: "Download a torrent and exit when it is complete" },
  args: {
    torrent: { type: "positional", description: "Path to a .torrent file", required: true },
    output: { type: "string", alias: "o", description: "Directory to save into (data goes to DIR/<name>)", default: "." },
    port: { type: "string", alias: "p", description: "TCP port for incoming peers (0 = any free port; default 6881-6889)" },
    "max-peers": { type: "string", description: "Most peer connections at once (default 50)" },
    peer: { type: "string", description: "Connect to this peer too: HOST:PORT or [IPV6]:PORT (repeatable)" },
    "no-trackers": { type: "boolean", description: "Do not contact the torrent's trackers" },
    quiet: { type: "boolean", alias: "q", description: "Print only errors" },
    json: { type: "boolean", description: "Print newline-delimited JSON events on stdout" },
    verbose: { type: "boolean", alias: "V", description: "Log peer and tracker details, and stacks on errors" },
  },
  async run({ args }) {
    const mode: OutputMode = args.json ? "json" : args.quiet ? "quiet" : process.stderr.isTTY ? "tty" : "plain";
    const log = createLogger(args.verbose ? 4 : mode === "quiet" || mode === "json" ? 0 : 1);
    const port = intOption("port", args.port, 0, 65535);
    const maxPeers = intOption("max-peers", args["max-peers"], 1, 10000);
    const peers = peerOptions(args.peer);
    const meta = await loadTorrentFile(args.torrent);

    const client = new Client({ port, maxPeers, log });
    const started = performance.now();
    if (mode === "json") {
      emitJson("metadata", { name: meta.name, infoHash: meta.infoHashHex, totalBytes: meta.totalLength, pieceCount: meta.pieceCount, files: meta.files.filter((f) => !f.isPad).length, port: client.port });
    } else if (mode !== "quiet") {
      process.stderr.write(`downloading ${meta.name} (${formatBytes(meta.totalLength)}) into ${args.output}, listening on port ${client.port}\n`);
    }
    const torrent = client.addTorrent(meta, { outDir: args.output, peers, noTrackers: args["no-trackers"] });
    torrent.on("warning", ({ message }) => (mode === "json" ? emitJson("warning", { message }) : log.warn(message)));
    torrent.on("peer", (p) => {
      if (mode === "json") emitJson("peer", { action: p.event, address: p.address, ...(p.reason ? { reason: p.reason } : {}) });
      else if (p.event === "banned") log.warn(`banned peer ${p.address}: ${p.reason}`);
    });
    const stopProgress = reportProgress(torrent, mode);

    type Outcome = { kind: "done"; stats: TorrentStats } | { kind: "error"; error: RippleError } | { kind: "signal"; signal: StopSignal };
    const { promise, resolve } = Promise.withResolvers<Outcome>();
    torrent.on("done", (stats) => resolve({ kind: "done", stats }));
    torrent.on("error", ({ error }) => resolve({ kind: "error", error }));
    const offSignals = onStopSignal((signal) => resolve({ kind: "signal", signal }));

    const outcome = await promise;
    stopProgress();
    await client.close();
    offSignals();
    if (outcome.kind === "error") throw outcome.error;
    if (outcome.kind === "signal") {
      report(mode, log, "interrupted", `stopped by ${outcome.signal}; verified pieces are kept on disk`, torrent.stats());
      process.exitCode = outcome.signal === "SIGINT" ? EXIT.INTERRUPTED : EXIT.TERMINATED;
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    const s = outcome.stats;
    report(mode, log, "done", `done: ${meta.name}, ${formatBytes(s.totalBytes)} in ${formatDuration(seconds)} (${formatRate(s.downloadedBytes / Math.max(seconds, 0.001))})`, s, seconds);
  },
});

function report(mode: OutputMode, log: Logger, event: string, message: string, stats: TorrentStats, seconds?: number): void {
  if (mode === "json") emitJson(event, { ...statsJson(stats), ...(seconds === undefined ? {} : { seconds }) });
  else if (mode !== "quiet") process.stderr.write(message + "\n");
  void log;
}
