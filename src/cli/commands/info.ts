// `ripple info <file.torrent> [--json]`: what a torrent holds, without downloading anything.

import { defineCommand } from "citty";
import { loadTorrentFile } from "../load-torrent.ts";
import { formatBytes } from "../format.ts";
import { writeOut } from "../output.ts";

export const infoCommand = defineCommand({
  meta: { name: "info", description: "Show what a .torrent file holds" },
  args: {
    torrent: { type: "positional", description: "Path to a .torrent file", required: true },
    json: { type: "boolean", description: "Print one JSON object" },
  },
  async run({ args }) {
    const meta = await loadTorrentFile(args.torrent);
    const files = meta.files
      .map((f, i) => ({ index: i + 1, path: f.path.join("/"), lengthBytes: f.lengthBytes, isPad: f.isPad }))
      .filter((f) => !f.isPad);
    if (args.json) {
      const out = {
        name: meta.name,
        infoHash: meta.infoHashHex,
        totalBytes: meta.totalLength,
        pieceLength: meta.pieceLength,
        pieceCount: meta.pieceCount,
        private: meta.private,
        multiFile: meta.multiFile,
        trackers: meta.announceTiers,
        webSeeds: meta.urlList,
        comment: meta.comment ?? null,
        createdBy: meta.createdBy ?? null,
        creationDate: meta.creationDate ?? null,
        files: files.map(({ index, path, lengthBytes }) => ({ index, path, lengthBytes })),
      };
      writeOut(JSON.stringify(out) + "\n");
      return;
    }
    const lines = [
      `name:         ${meta.name}`,
      `info hash:    ${meta.infoHashHex}`,
      `size:         ${formatBytes(meta.totalLength)} (${meta.totalLength} bytes)`,
      `pieces:       ${meta.pieceCount} x ${formatBytes(meta.pieceLength)}`,
      `private:      ${meta.private ? "yes" : "no"}`,
    ];
    if (meta.comment) lines.push(`comment:      ${meta.comment}`);
    if (meta.createdBy) lines.push(`created by:   ${meta.createdBy}`);
    if (meta.creationDate !== undefined) lines.push(`created:      ${new Date(meta.creationDate * 1000).toISOString()}`);
    meta.announceTiers.forEach((tier, i) => lines.push(`tracker tier ${i + 1}: ${tier.join(" ")}`));
    for (const url of meta.urlList) lines.push(`web seed:     ${url}`);
    lines.push(`files (${files.length}):`);
    const width = String(files.length).length;
    for (const f of files) lines.push(`  ${String(f.index).padStart(width)}  ${formatBytes(f.lengthBytes).padStart(10)}  ${f.path}`);
    writeOut(lines.join("\n") + "\n");
  },
});
