// `ripple seed <file.torrent> -o DIR`: verify the data at DIR/<name> and seed it until stopped
// (or --seed-ratio / --seed-time). The same -o as `download`, so `download -o out` then `seed -o out` works.

import { defineCommand } from "citty";
import { runTorrent } from "../run-torrent.ts";
import { parseSeedLimits, parseTorrentArgs, seedLimitArgs, torrentArgs } from "../torrent-args.ts";

export const seedCommand = defineCommand({
  meta: { name: "seed", description: "Verify a torrent's data on disk and seed it until stopped" },
  args: {
    ...torrentArgs,
    ...seedLimitArgs,
  },
  async run({ args, rawArgs }) {
    await runTorrent(parseTorrentArgs(args, rawArgs), { seed: true, requireComplete: true, ...parseSeedLimits(args) });
  },
});
