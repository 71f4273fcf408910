// `ripple seed <file.torrent> -o DIR`: verify the data at DIR/<name> and seed it until stopped
// (or --seed-ratio / --seed-time). The same -o as `download`, so `download -o out` then `seed -o out` works.

import { defineCommand } from "citty";
import { durationOption, numberOption } from "../options.ts";
import { runTorrent } from "../run-torrent.ts";
import { parseTorrentArgs, torrentArgs } from "../torrent-args.ts";

export const seedCommand = defineCommand({
  meta: { name: "seed", description: "Verify a torrent's data on disk and seed it until stopped" },
  args: {
    ...torrentArgs,
    "seed-ratio": { type: "string", description: "Stop once uploaded / size reaches this, e.g. 2.0" },
    "seed-time": { type: "string", description: "Stop after seeding this long, e.g. 30m or 1h" },
  },
  async run({ args, rawArgs }) {
    const options = parseTorrentArgs(args, rawArgs);
    const ratio = numberOption("seed-ratio", args["seed-ratio"], 0);
    const timeMs = durationOption("seed-time", args["seed-time"]);
    await runTorrent(options, { seed: true, requireComplete: true, ratio, timeMs });
  },
});
