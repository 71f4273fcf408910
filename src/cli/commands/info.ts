// `ripple info <file.torrent | magnet-link> [--json]`: what a torrent or a magnet link holds, without
// downloading anything (a magnet's files are only known once its metadata is fetched from peers). For
// BEP 52 torrents: the meta version, both info hashes and each file's merkle root.

import { defineCommand } from "citty";
import { formatSelection, type Magnet, type Metainfo } from "../../metainfo/index.ts";
import { formatPeerAddress, toHex } from "../../util/index.ts";
import { loadTorrentSource } from "../load-torrent.ts";
import { formatBytes } from "../format.ts";
import { writeOut } from "../output.ts";

export const infoCommand = defineCommand({
  meta: { name: "info", description: "Show what a .torrent file or a magnet link holds" },
  args: {
    torrent: { type: "positional", description: "Path to a .torrent file, or a magnet link (quote it)", required: true },
    json: { type: "boolean", description: "Print one JSON object" },
  },
  async run({ args }) {
    const source = await loadTorrentSource(args.torrent);
    const text = source.kind === "magnet" ? describeMagnet(source.magnet, !!args.json) : describeTorrent(source.meta, !!args.json);
    writeOut(text);
  },
});

/** "v1", "v2" or "hybrid" (BEP 52). */
function metaVersion(meta: Metainfo): string {
  return meta.v2 === undefined ? "v1" : meta.v2.hybrid ? "hybrid" : "v2";
}

function describeTorrent(meta: Metainfo, json: boolean): string {
  const roots = new Map(meta.v2?.files.map((f) => [f.fileIndex, f.piecesRoot ? toHex(f.piecesRoot) : null]));
  const files = meta.files
    .map((f, i) => ({ index: i + 1, path: f.path.join("/"), lengthBytes: f.lengthBytes, isPad: f.isPad, piecesRoot: roots.get(i) }))
    .filter((f) => !f.isPad);
  const v1Hash = meta.v2 && !meta.v2.hybrid ? null : meta.infoHashHex;
  // BEP 52 torrents pad every file to a piece (explicitly or not): their size is that of the files.
  const sizeBytes = meta.v2 ? meta.v2.files.reduce((n, f) => n + f.lengthBytes, 0) : meta.totalLength;
  if (json) {
    const out = {
      kind: "torrent",
      name: meta.name,
      infoHash: meta.infoHashHex,
      metaVersion: metaVersion(meta),
      infoHashV1: v1Hash,
      infoHashV2: meta.v2?.infoHashHex ?? null,
      totalBytes: sizeBytes,
      pieceLength: meta.pieceLength,
      pieceCount: meta.pieceCount,
      private: meta.private,
      multiFile: meta.multiFile,
      trackers: meta.announceTiers,
      webSeeds: meta.urlList,
      comment: meta.comment ?? null,
      createdBy: meta.createdBy ?? null,
      creationDate: meta.creationDate ?? null,
      files: files.map(({ index, path, lengthBytes, piecesRoot }) => ({ index, path, lengthBytes, ...(meta.v2 && { piecesRoot: piecesRoot ?? null }) })),
    };
    return JSON.stringify(out) + "\n";
  }
  const lines = [`name:         ${meta.name}`];
  if (meta.v2 === undefined) lines.push(`info hash:    ${meta.infoHashHex}`);
  else {
    lines.push(`version:      ${metaVersion(meta)} (BEP 52${meta.v2.hybrid ? ": v1 and v2 swarms" : ""})`);
    if (v1Hash !== null) lines.push(`info hash v1: ${v1Hash}`);
    lines.push(`info hash v2: ${meta.v2.infoHashHex}`);
    if (v1Hash === null) lines.push(`wire hash:    ${meta.infoHashHex} (v2 hash truncated to 20 bytes)`);
  }
  lines.push(
    `size:         ${formatBytes(sizeBytes)} (${sizeBytes} bytes)`,
    `pieces:       ${meta.pieceCount} x ${formatBytes(meta.pieceLength)}`,
    `private:      ${meta.private ? "yes" : "no"}`,
  );
  if (meta.comment) lines.push(`comment:      ${meta.comment}`);
  if (meta.createdBy) lines.push(`created by:   ${meta.createdBy}`);
  if (meta.creationDate !== undefined) lines.push(`created:      ${new Date(meta.creationDate * 1000).toISOString()}`);
  meta.announceTiers.forEach((tier, i) => lines.push(`tracker tier ${i + 1}: ${tier.join(" ")}`));
  for (const url of meta.urlList) lines.push(`web seed:     ${url}`);
  lines.push(`files (${files.length}):`);
  const width = String(files.length).length;
  for (const f of files) {
    const root = meta.v2 ? `  root ${f.piecesRoot ?? "(empty file)"}` : "";
    lines.push(`  ${String(f.index).padStart(width)}  ${formatBytes(f.lengthBytes).padStart(10)}  ${f.path}${root}`);
  }
  return lines.join("\n") + "\n";
}

function describeMagnet(m: Magnet, json: boolean): string {
  if (json) {
    const out = {
      kind: "magnet",
      name: m.name ?? null,
      infoHash: m.infoHashHex,
      ...(m.infoHashV2Hex !== undefined && { infoHashV2: m.infoHashV2Hex, v2Only: m.v2Only }),
      totalBytes: m.lengthBytes ?? null,
      trackers: m.trackers,
      peers: m.peers.map(formatPeerAddress),
      webSeeds: m.webSeeds,
      select: m.select ?? null,
    };
    return JSON.stringify(out) + "\n";
  }
  const lines = [
    "magnet link:  files and pieces are known once the metadata is fetched from peers",
    `name:         ${m.name ?? "(not given)"}`,
    m.v2Only ? `wire hash:    ${m.infoHashHex} (v2 hash truncated to 20 bytes)` : `info hash:    ${m.infoHashHex}`,
  ];
  if (m.infoHashV2Hex !== undefined) lines.push(`info hash v2: ${m.infoHashV2Hex} (BEP 52${m.v2Only ? ", v2-only link" : ", hybrid link"})`);
  if (m.lengthBytes !== undefined) lines.push(`size:         ${formatBytes(m.lengthBytes)} (${m.lengthBytes} bytes)`);
  for (const url of m.trackers) lines.push(`tracker:      ${url}`);
  for (const peer of m.peers) lines.push(`peer:         ${formatPeerAddress(peer)}`);
  for (const url of m.webSeeds) lines.push(`web seed:     ${url}`);
  // BEP 53 indices count from 0, while the torrent listing above numbers files from 1.
  if (m.select !== undefined) lines.push(`select files: ${formatSelection(m.select)} (0-based indices, BEP 53)`);
  return lines.join("\n") + "\n";
}
