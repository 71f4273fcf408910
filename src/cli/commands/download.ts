// `ripple download <file.torrent | magnet>`: fetch a torrent into -o DIR and exit once every piece is verified,
// or go on seeding with --seed (until --seed-ratio or --seed-time, or a signal).

import { defineCommand } from "citty";
import { systemClock } from "../../util/index.ts";
import { durationOption } from "../options.ts";
import { runTorrent } from "../run-torrent.ts";
import { parseSeedLimits, parseTorrentArgs, seedLimitArgs, torrentArgs } from "../torrent-args.ts";

export const downloadCommand = defineCommand({
  meta: { name: "download", description: "Download a torrent and exit when it is complete (or seed it with --seed)" },
  args: {
    ...torrentArgs,
    seed: { type: "boolean", description: "Keep seeding after the download completes (until stopped, or a limit below)" },
    ...seedLimitArgs,
    "stall-timeout": { type: "string", description: "Give up (exit 7) when no data arrives for this long, e.g. 60s" },
    timeout: { type: "string", description: "Give up (exit 8) when the whole run takes longer, e.g. 10m" },
    "metadata-timeout": { type: "string", description: "Magnet links: give up (exit 9) when no metadata arrives for this long, e.g. 2m" },
    "save-torrent": { type: "string", description: "Magnet links: write the fetched .torrent to this file" },
  },
  async run({ args, rawArgs }) {
    const options = parseTorrentArgs(args, rawArgs);
    const { ratio, timeMs } = parseSeedLimits(args);
    await runTorrent(options, {
      seed: args.seed === true || ratio !== undefined || timeMs !== undefined,
      ratio,
      timeMs,
      stallTimeoutMs: durationOption("stall-timeout", args["stall-timeout"]),
      timeoutMs: durationOption("timeout", args.timeout),
      metadataTimeoutMs: durationOption("metadata-timeout", args["metadata-timeout"]),
      ...(typeof args["save-torrent"] === "string" && { saveTorrentPath: args["save-torrent"] }),
    }, systemClock);
  },
});
