// `ripple seed <file.torrent> -o DIR`: verify the data at DIR/<name> and seed it until stopped
// (or --seed-ratio / --seed-time). The same -o as `download`, so `download -o out` then `seed -o out` works.

import { defineCommand } from "citty";
import { systemClock } from "../../util/index.ts";
import { runTorrent } from "../run-torrent.ts";
import { parseSeedLimits, parseTorrentArgs, seedLimitArgs, torrentArgs } from "../torrent-args.ts";

export const seedCommand = defineCommand({
  meta: { name: "seed", description: "Verify a torrent's data on disk and seed it until stopped" },
  args: {
    ...torrentArgs,
    ...seedLimitArgs,
    "super-seed": {
      type: "boolean",
      description: "BEP 16: offer each peer a few pieces the others lack instead of everything (an origin uploads each piece about once)",
    },
  },
  async run({ args, rawArgs }) {
    await runTorrent(parseTorrentArgs(args, rawArgs), {
      seed: true,
      requireComplete: true,
      superSeed: args["super-seed"] === true,
      ...parseSeedLimits(args),
    }, systemClock);
  },
});
