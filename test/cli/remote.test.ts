// `ripple remote` (the compiled binary) against an in-process daemon: add a .torrent and a magnet, list
// as a table and as JSON, stop, start, delete; a wrong key is exit 10, no daemon exit 4.

import { beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { formatMagnet } from "../../src/metainfo/index.ts";
import { rippleBinary } from "../helpers/binary.ts";
import { API_KEY, useDaemons } from "../helpers/daemon.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const { startDaemon, tempDirForTest } = useDaemons();
let binary: string;
beforeAll(async () => {
  binary = await rippleBinary();
}, 120_000);

async function ripple(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([binary, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

describe("ripple remote", () => {
  test("add, list, stop, start, delete", async () => {
    const s = await startDaemon({ auth: { credentials: { username: "ops", passwordHash: await Bun.password.hash("remote-pass") } } });
    const dir = await tempDirForTest("ripple-remote-");
    const fixture = makeTorrentFixture({ name: "remote-me", pieceLength: 16384, data: patternBytes(50_000, 3) });
    const file = join(dir, "remote-me.torrent");
    await writeFile(file, fixture.torrentBytes);
    const key = ["--url", s.url, "--api-key", API_KEY];
    const hash = fixture.meta.infoHashHex;
    const lonely = "7".repeat(40);

    expect(await ripple(["remote", "add", file, ...key, "--category", "tv", "--stopped"])).toEqual({ code: 0, stdout: "added remote-me.torrent\n", stderr: "" });
    const magnet = formatMagnet({ infoHash: Buffer.from(lonely, "hex"), name: "lonely" });
    expect((await ripple(["remote", "add", magnet, "--url", s.url, "--username", "ops", "--password", "remote-pass"])).code).toBe(0);

    const table = await ripple(["remote", "list", ...key]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^HASH\s+NAME\s+STATE\s+DONE\s+SIZE\s+DOWN\s+UP\s+RATIO\s+CATEGORY$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      [hash.slice(0, 8), "remote-me", "stoppedDL", "0.0%"],
      [lonely.slice(0, 8), "lonely", "metaDL", "0.0%"],
    ]);
    const json = JSON.parse((await ripple(["remote", "list", ...key, "--json", "--category", "tv"])).stdout) as { hash: string; category: string }[];
    expect(json.map((t) => [t.hash, t.category])).toEqual([[hash, "tv"]]);

    expect((await ripple(["remote", "start", hash, ...key])).code).toBe(0);
    expect((await s.qbt.listTorrents({ hashes: hash }))[0]!.state).not.toStartWith("stopped");
    expect((await ripple(["remote", "stop", `${hash},${lonely}`, ...key])).code).toBe(0);
    expect((await s.qbt.listTorrents({ filter: "stopped" })).length).toBe(2);

    const dup = await ripple(["remote", "add", file, ...key]);
    expect([dup.code, dup.stderr]).toEqual([10, "ripple: /torrents/add: the daemon refused it (already added?)\n"]);
    expect((await ripple(["remote", "delete", "all", ...key])).code).toBe(0);
    expect(await s.qbt.listTorrents()).toEqual([]);
  });

  test("a wrong key is exit 10 with the daemon's answer; no daemon is exit 4", async () => {
    const s = await startDaemon();
    const wrong = await ripple(["remote", "list", "--url", s.url, "--api-key", "not-the-key"]);
    expect([wrong.code, wrong.stderr]).toEqual([10, "ripple: /torrents/info: HTTP 403: Forbidden: invalid API key\n"]);
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = closed.port;
    await closed.stop(true);
    const none = await ripple(["remote", "list", "--url", `http://127.0.0.1:${port}`]);
    expect(none.code).toBe(4);
    expect(none.stderr).toStartWith(`ripple: no answer from http://127.0.0.1:${port}:`);
    const usage = await ripple(["remote", "frob", "--url", s.url]);
    expect([usage.code, usage.stderr.split("\n")[0]]).toEqual([2, 'ripple: remote: unknown action "frob" (add, list, stop, start, delete)']);
  });
});
