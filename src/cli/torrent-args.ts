// The options `download` and `seed` share (peers, ports, rates, output), and their parsing into the
// Client's options. Pure apart from citty's definitions.

import type { ArgsDef } from "citty";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ClientOptions } from "../client.ts";
import { DEFAULT_DHT_BOOTSTRAP } from "../dht/index.ts";
import { RippleError, type PeerAddress } from "../util/index.ts";
import { durationOption, encryptionOption, intOption, utpModeOption, ipOption, numberOption, peerOptions, rateOption, repeatedOption } from "./options.ts";
import { outputArgs, outputMode, type OutputMode } from "./progress.ts";

export const torrentArgs = {
  torrent: { type: "positional", description: "Path to a .torrent file, or a magnet link", required: true },
  output: { type: "string", alias: "o", description: "Directory the data is in or goes to (DIR/<name>)", default: "." },
  port: { type: "string", alias: "p", description: "TCP port for incoming peers (0 = any free port; default 6881-6889)" },
  "max-peers": { type: "string", description: "Most peer connections at once (default 50)" },
  host: { type: "string", description: "Address to listen on for peers (default :: and 0.0.0.0, IPv6 and IPv4)" },
  peer: { type: "string", description: "Connect to this peer too: HOST:PORT or [IPV6]:PORT (repeatable)" },
  encryption: { type: "string", description: "MSE/PE: prefer (default; dial encrypted, fall back to plaintext), require (RC4 only, both ways), plain" },
  utp: { type: "boolean", description: "uTP (BEP 29) on the peer port over UDP, incoming and dialed (default on; --no-utp: TCP only)" },
  "utp-mode": { type: "string", description: "How peers are dialed with uTP on: auto (default; TCP first to loopback and private addresses, uTP first to others), prefer (uTP first), only (uTP alone)" },
  "announce-ipv6": { type: "string", description: "IPv6 address to tell HTTP trackers (BEP 7 ipv6=; default a global one of this machine)" },
  "no-trackers": { type: "boolean", description: "Do not contact the torrent's trackers" },
  "no-web-seeds": { type: "boolean", description: "Do not download from the torrent's web seeds (url-list, a magnet's ws)" },
  "max-upload-rate": { type: "string", description: "Upload limit in bytes/s, e.g. 500K or 2M (default unlimited)" },
  "max-download-rate": { type: "string", description: "Download limit in bytes/s, e.g. 500K or 2M (default unlimited)" },
  select: { type: "string", description: "Only these files, numbered as ripple info lists them: 1,3-5" },
  exclude: { type: "string", description: "Leave out files whose path matches this glob, e.g. '*.nfo' (repeatable)" },
  preallocate: { type: "boolean", description: "Write the files out to full size first (default: sparse)" },
  dht: { type: "boolean", description: "Find peers through the mainline DHT too (default on; --no-dht or RIPPLE_DHT=off turns it off)" },
  "dht-port": { type: "string", description: "UDP port of the DHT node (default 6881; 0 = any free port)" },
  "dht-bootstrap": { type: "string", description: "DHT node to start from, HOST:PORT (repeatable; default the public routers)" },
  "dht-state": { type: "string", description: "Where the DHT routing table is kept between runs (default ~/.config/ripple/dht.json)" },
  ...outputArgs("Log peer and tracker details, and stacks on errors"),
} as const satisfies ArgsDef;

type Parsed = { [K in keyof typeof torrentArgs]?: unknown };

/** The DHT's customary UDP port. */
const DEFAULT_DHT_PORT = 6881;

export interface TorrentRunOptions {
  torrentPath: string;
  outDir: string;
  peers: PeerAddress[];
  noTrackers: boolean;
  noWebSeeds: boolean;
  mode: OutputMode;
  verbose: boolean;
  client: ClientOptions;
  /** --select text (parsed once the torrent's file count is known) and --exclude globs. */
  select?: string;
  exclude: string[];
  preallocate: boolean;
}

/** Validates the shared options; throws RippleError("USAGE") naming the bad one. */
export function parseTorrentArgs(args: Parsed, rawArgs: readonly string[]): TorrentRunOptions {
  const mode = outputMode(args);
  return {
    torrentPath: String(args.torrent),
    outDir: String(args.output ?? "."),
    peers: peerOptions(repeatedOption(torrentArgs, rawArgs, "peer")),
    // citty reads --no-X as X = false: "--no-trackers" arrives as trackers: false.
    noTrackers: args["no-trackers"] === true || (args as { trackers?: unknown }).trackers === false,
    noWebSeeds: args["no-web-seeds"] === true || (args as { "web-seeds"?: unknown })["web-seeds"] === false,
    mode,
    verbose: args.verbose === true,
    ...(typeof args.select === "string" && { select: args.select }),
    exclude: repeatedOption(torrentArgs, rawArgs, "exclude"),
    preallocate: args.preallocate === true,
    client: {
      ...(dhtOptions(args, rawArgs) ?? {}),
      port: intOption("port", args.port, 0, 65535),
      ...(args.host !== undefined && { host: ipOption("host", args.host) }),
      ...(args.encryption !== undefined && { encryption: encryptionOption(args.encryption) }),
      ...utpOptions(args),
      ...(args["announce-ipv6"] !== undefined && { announceIpv6: ipOption("announce-ipv6", args["announce-ipv6"], 6) }),
      maxPeers: intOption("max-peers", args["max-peers"], 1, 10000),
      maxUploadRate: rateOption("max-upload-rate", args["max-upload-rate"]),
      maxDownloadRate: rateOption("max-download-rate", args["max-download-rate"]),
    },
  };
}

/**
 * `dht` for the Client: on unless --no-dht, or RIPPLE_DHT=off in the environment (the test suite and CI
 * set it so that nothing there can reach the public routers); an explicit --dht or DHT option wins over
 * the environment. The public routers are used only without --dht-bootstrap.
 */
function dhtOptions(args: Parsed, rawArgs: readonly string[]): Pick<ClientOptions, "dht"> | undefined {
  const bootstrapText = repeatedOption(torrentArgs, rawArgs, "dht-bootstrap");
  const explicit = args.dht === true || bootstrapText.length > 0 || args["dht-port"] !== undefined;
  const byDefault = args.dht !== false && process.env.RIPPLE_DHT !== "off";
  if (!explicit && !byDefault) return undefined;
  const bootstrap = bootstrapText.length > 0 ? peerOptions(bootstrapText, "--dht-bootstrap") : DEFAULT_DHT_BOOTSTRAP;
  const home = process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config");
  const statePath = typeof args["dht-state"] === "string" ? args["dht-state"] : join(home, "ripple", "dht.json");
  return { dht: { port: intOption("dht-port", args["dht-port"], 0, 65535) ?? DEFAULT_DHT_PORT, bootstrap, statePath } };
}

/** `utp` for the Client: "off" with --no-utp (citty reads it as utp: false), else --utp-mode (default auto). */
function utpOptions(args: Parsed): Pick<ClientOptions, "utp"> {
  const mode = args["utp-mode"] !== undefined ? utpModeOption(args["utp-mode"]) : undefined;
  if (args.utp === false) {
    if (mode !== undefined) throw new RippleError("USAGE", "--utp-mode: uTP is off (--no-utp)");
    return { utp: "off" };
  }
  return mode !== undefined ? { utp: mode } : {};
}

/** When seeding ends (download --seed, seed): a ratio or a time, whichever comes first. */
export const seedLimitArgs = {
  "seed-ratio": { type: "string", description: "Stop seeding once uploaded / size reaches this, e.g. 1.5" },
  "seed-time": { type: "string", description: "Stop seeding after this long, e.g. 30m or 1h" },
} as const satisfies ArgsDef;

export function parseSeedLimits(args: { "seed-ratio"?: unknown; "seed-time"?: unknown }): { ratio?: number; timeMs?: number } {
  const ratio = numberOption("seed-ratio", args["seed-ratio"], 0);
  const timeMs = durationOption("seed-time", args["seed-time"]);
  return { ...(ratio !== undefined && { ratio }), ...(timeMs !== undefined && { timeMs }) };
}
