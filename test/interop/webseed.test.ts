// BEP 19 web seeds end to end through the compiled CLI (`ripple create --web-seed`, `ripple download
// --no-trackers`): Debian's lighttpd as the HTTP origin on 127.0.0.1, alone (single and multi-file,
// byte-identical), and a web seed mixed with a ripple seeder and an aria2c seeder. Loopback only.

import { afterEach, describe, expect, test } from "bun:test";
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startLighttpd } from "../helpers/lighttpd.ts";
import { runRipple } from "../helpers/ripple-run.ts";
import { rippleBinary } from "../helpers/binary.ts";
import {
  compareTrees,
  freePort,
  makePayloadTree,
  missingBinaries,
  spawnManaged,
  startAria2Seeder,
  stopAllManaged,
  tempDir,
  waitForPort,
} from "../helpers/real-peers.ts";
import { patternBytes } from "../helpers/torrent-fixture.ts";

afterEach(stopAllManaged);

/** `ripple create SOURCE --web-seed URL`, 16 KiB pieces, no date. */
async function createTorrent(source: string, outPath: string, webSeed: string): Promise<void> {
  const r = await runRipple(["create", source, "-o", outPath, "--web-seed", webSeed, "--piece-length", "16K", "--no-date", "--quiet"], 30_000, "ripple create");
  expect(r.code, r.log).toBe(0);
}

/** `ripple download --no-trackers --json` to the end; returns the exit code, the JSON events and the log. */
async function download(torrentPath: string, outDir: string, extra: string[] = []) {
  const r = await runRipple(["download", torrentPath, "-o", outDir, "--port", "0", "--no-trackers", "--json", "--stall-timeout", "30s", ...extra], 60_000, "ripple leecher");
  const events = r.log
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { ...r, events };
}

describe("web seeds through the CLI, lighttpd as the origin", () => {
  test.skipIf(missingBinaries("lighttpd"))("single-file torrent from lighttpd alone: byte-identical", async () => {
    await using work = await tempDir();
    const root = join(work.path, "www");
    await mkdir(root);
    const data = patternBytes(40 * 16384 + 333, 21);
    await writeFile(join(root, "single.bin"), data);
    await using origin = await startLighttpd(root);
    const torrentPath = join(work.path, "single.torrent");
    await createTorrent(join(root, "single.bin"), torrentPath, origin.url);

    const out = join(work.path, "out");
    const r = await download(torrentPath, out);
    expect(r.code, r.log).toBe(0);
    expect(Bun.hash(new Uint8Array(await readFile(join(out, "single.bin"))))).toBe(Bun.hash(data));
    expect(r.events.find((e) => e.event === "webseed")).toMatchObject({ url: origin.url, action: "started" });
  });

  test.skipIf(missingBinaries("lighttpd"))("multi-file torrent from lighttpd alone: byte-identical, pieces spanning files", async () => {
    await using work = await tempDir();
    const root = join(work.path, "www");
    const payload = await makePayloadTree(root);
    await using origin = await startLighttpd(root);
    const torrentPath = join(work.path, "payload.torrent");
    await createTorrent(payload.root, torrentPath, origin.url);

    const out = join(work.path, "out");
    const r = await download(torrentPath, out);
    expect(r.code, r.log).toBe(0);
    expect(await compareTrees(payload.root, join(out, payload.name))).toEqual([]);
    // Byte-identical from the web seed alone: "small file.txt" went out percent-encoded and lighttpd found it.
    expect(r.events.filter((e) => e.event === "webseed").map((e) => e.action)).toEqual(["started"]);
  });

  test.skipIf(missingBinaries("lighttpd", "aria2c"))("a web seed lacking one file, a ripple seeder and an aria2c seeder together", async () => {
    await using work = await tempDir();
    const root = join(work.path, "seed");
    const payload = await makePayloadTree(root);
    // The origin has every file but the last: its pieces must come from the peers.
    const www = join(work.path, "www");
    await cp(root, www, { recursive: true });
    await rm(join(www, payload.name, "z-last.bin"));
    await using origin = await startLighttpd(www);
    const torrentPath = join(work.path, "payload.torrent");
    await createTorrent(payload.root, torrentPath, origin.url);

    await using aria = await startAria2Seeder({ torrentPath, dataDir: root });
    const ripplePort = await freePort();
    const seeder = await spawnManaged([await rippleBinary(), "seed", torrentPath, "-o", root, "--port", String(ripplePort), "--no-trackers", "--no-web-seeds", "--quiet"], {
      name: "ripple seeder",
    });
    await waitForPort(ripplePort, { what: "the ripple seeder", check: () => expect(seeder.hasExited).toBe(false) });

    const out = join(work.path, "out");
    const r = await download(torrentPath, out, ["--peer", `127.0.0.1:${aria.port}`, "--peer", `127.0.0.1:${ripplePort}`]);
    expect(r.code, r.log).toBe(0);
    expect(await compareTrees(payload.root, join(out, payload.name))).toEqual([]);
    // Complete although the origin lacks a file, so the peers served it. Whether the web seed asked for
    // that file before the peers had it all depends on timing; if it did, it was told 404, once.
    const failed = r.events.filter((e) => e.event === "webseed" && e.action !== "started");
    expect(failed.length).toBeLessThanOrEqual(1);
    for (const e of failed) {
      expect(e.action).toBe("failed");
      expect(String(e.reason)).toContain("HTTP 404");
      expect(String(e.reason)).toContain("/payload/z-last.bin");
    }
    await seeder.stop();
  });
});
