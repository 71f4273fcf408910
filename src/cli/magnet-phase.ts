// The metadata phase of `download <magnet>`: shows what ripple is waiting for ("fetching metadata: 3
// peers connected, 1 offering it, 2/5 pieces"), gives up after --metadata-timeout (exit 9), writes the
// fetched .torrent with --save-torrent, then hands over the torrent. Shell: output and a file write.

import { writeFile } from "node:fs/promises";
import type { AddTorrentOptions, Client } from "../client.ts";
import { torrentFileFromInfo, type Magnet } from "../metainfo/index.ts";
import { describeMetadataProgress, type Torrent } from "../swarm/index.ts";
import { RippleError, errorMessage, repeat, type Clock, type Logger } from "../util/index.ts";
import { formatDuration } from "./format.ts";
import { clearLive, writeErr, writeLive } from "./output.ts";
import { emitJson, type OutputMode } from "./progress.ts";

const TTY_INTERVAL_MS = 500;
const PLAIN_INTERVAL_MS = 5000;

export interface MagnetPhaseOptions {
  mode: OutputMode;
  log: Logger;
  timeoutMs?: number;
  saveTorrentPath?: string;
  /** Resolves when the user interrupts; the phase then ends with undefined. */
  interrupted: Promise<unknown>;
  /** The progress lines' interval, the timeout and the events' time. */
  clock: Clock;
}

/** Fetches the magnet's metadata and adds the torrent; undefined when interrupted first. */
export async function magnetPhase(client: Client, magnet: Magnet, add: AddTorrentOptions, o: MagnetPhaseOptions): Promise<Torrent | undefined> {
  const { mode, clock, timeoutMs } = o;
  const { fetcher, torrent } = client.addMagnet(magnet, add);
  const label = magnet.name ?? magnet.infoHashHex;
  if (mode === "plain" || mode === "tty") writeErr(`fetching metadata for ${label} from peers (magnet link)\n`);
  fetcher.on("warning", ({ message }) => (mode === "json" ? emitJson("warning", { message }, clock) : o.log.warn(message)));
  fetcher.on("tracker", ({ url, peers }) => (mode === "json" ? emitJson("tracker", { url, peers }, clock) : o.log.debug(`tracker ${url}: ${peers} peers`)));
  fetcher.on("peer", (p) => {
    if (mode === "json") emitJson("peer", { action: p.event, address: p.address, ...(p.reason ? { reason: p.reason } : {}) }, clock);
  });
  const show = () => {
    const p = fetcher.progress();
    if (mode === "json") emitJson("fetching", { ...p }, clock);
    else if (mode === "tty") writeLive(describeMetadataProgress(p));
    else if (mode === "plain") writeErr(describeMetadataProgress(p) + "\n");
  };
  if (mode === "json") show(); // at once: a script sees the phase even when it lasts a moment
  const stopShowing = mode === "quiet" ? undefined : repeat(clock, mode === "tty" ? TTY_INTERVAL_MS : mode === "json" ? 1000 : PLAIN_INTERVAL_MS, show);
  const timeout =
    timeoutMs === undefined
      ? new Promise<never>(() => {})
      : new Promise<never>((_, reject) => {
          const t = clock.setTimeout(() => {
            const p = fetcher.progress();
            const message = `no metadata after ${formatDuration(timeoutMs / 1000)} (--metadata-timeout): ${describeMetadataProgress(p).replace("fetching metadata: ", "")}`;
            reject(new RippleError("METADATA_TIMEOUT", message));
          }, timeoutMs);
          void torrent.finally(() => clock.clearTimeout(t)).catch(() => undefined);
        });
  try {
    const result = await Promise.race([torrent, timeout, o.interrupted.then(() => undefined)]);
    if (result !== undefined && o.saveTorrentPath !== undefined) await saveTorrent(result, o.saveTorrentPath);
    return result;
  } finally {
    stopShowing?.();
    clearLive();
  }
}

async function saveTorrent(torrent: Torrent, path: string): Promise<void> {
  const meta = torrent.meta;
  try {
    const pieceLayers = meta.v2?.pieceLayers;
    await writeFile(path, torrentFileFromInfo(meta.infoBytes, { trackerTiers: meta.announceTiers, webSeeds: meta.urlList, ...(pieceLayers && { pieceLayers }) }));
  } catch (err) {
    throw new RippleError("STORAGE", `cannot write ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
