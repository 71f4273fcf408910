// Peak memory on a large torrent: one ripple download of a big generated file (4 GiB by default) from a
// libtorrent seeder that trusts its data (or a ripple seeder when libtorrent is missing).

import { rm } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "../../test/helpers/ports.ts";
import { type ManagedProcess } from "../../test/helpers/process.ts";
import { startSeeder } from "./clients.ts";
import { type Bench, createTorrent, errorLine, human, MiB, note, type Payloads, tryPush } from "./context.ts";
import { download } from "./downloads.ts";
import { writePatternFile } from "./payloads.ts";
import { type Row } from "./report.ts";

/** The big download's row; with `bigBytes` 0 it stays empty (and is left out of the table). */
export async function bigDownloadRow(b: Bench, p: Payloads, bigBytes: number): Promise<Row> {
  const row: Row = { what: `ripple download, ${human(bigBytes)} file`, bytes: bigBytes, samples: [] };
  if (bigBytes === 0) return row;
  note(`generating the ${human(bigBytes)} file...`);
  const bigDir = join(b.work, "big");
  writePatternFile(join(bigDir, "bench-big.bin"), bigBytes);
  const big = await createTorrent(b, join(bigDir, "bench-big.bin"), join(b.work, "big.torrent"), p.announce, `${human(bigBytes)} file`);
  row.what += `, ${big.pieceLength >= MiB ? `${big.pieceLength / MiB} MiB` : `${big.pieceLength / 1024} KiB`} pieces`;
  await p.allow(big.infoHash);
  const kind = b.tools.libtorrent ? "libtorrent" : "ripple";
  row.seeder = `${kind} seeder`;
  note(`downloading it with ripple from a ${kind} seeder...`);
  let seeder: ManagedProcess | undefined;
  try {
    seeder = await startSeeder(kind, b.ripple, big.path, bigDir, b.logPath(`${kind}-seed-big`), { port: await freePort(), trustData: true });
    await tryPush(row, () => download(b, "ripple", big, seeder?.pid));
  } catch (error) {
    row.error = errorLine(error);
  } finally {
    await seeder?.stop();
    await rm(bigDir, { recursive: true, force: true });
  }
  return row;
}
