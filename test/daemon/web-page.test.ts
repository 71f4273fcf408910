// The daemon's web page in headless Chromium (DevTools protocol, 127.0.0.1 only): log in, add a
// .torrent from a loopback swarm and a magnet, watch progress reach 100 %, stop and start, delete.

import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { formatMagnet } from "../../src/metainfo/index.ts";
import { launchChromium } from "../helpers/chromium.ts";
import { useDaemons, waitForRow } from "../helpers/daemon.ts";
import { missingBinaries } from "../helpers/process.ts";

const { startDaemon, startSeeder, swarmFixture, tempDirForTest, defer } = useDaemons();

/** The text of a row's cell, by torrent hash and cell class, as a page expression. */
const cell = (hash: string, cls: string) => `document.querySelector('tr[data-hash="${hash}"] td.${cls}')?.textContent`;
const clickIn = (hash: string, label: string) =>
  `[...document.querySelectorAll('tr[data-hash="${hash}"] button')].find((b) => b.textContent === ${JSON.stringify(label)}).click()`;

describe("web page", () => {
  test.skipIf(missingBinaries("chromium"))("log in, add by file and by magnet, progress, stop/start, delete", async () => {
    const fixture = await swarmFixture("webpage", 31);
    await startSeeder(fixture);
    const s = await startDaemon({ auth: { credentials: { username: "admin", passwordHash: await Bun.password.hash("page-pass") } } });
    const dir = await tempDirForTest("ripple-page-");
    const torrentPath = join(dir, "webpage.torrent");
    await writeFile(torrentPath, fixture.torrentBytes);

    const page = await launchChromium(`${s.url}/`);
    defer(() => page.stop());
    await page.waitUntil(`!document.getElementById("login").hidden`, "the login form (the API answers 403)");
    await page.evaluate(`document.getElementById("password").value = "wrong"; document.getElementById("login-button").click()`);
    await page.waitUntil(`document.getElementById("error").textContent === "wrong user name or password"`, "a wrong password refused");
    await page.evaluate(`document.getElementById("password").value = "page-pass"; document.getElementById("login-button").click()`);
    await page.waitUntil(`document.getElementById("summary").textContent === "0 torrents"`, "the empty list after logging in");

    // Add the .torrent through the file input, and a magnet nobody serves (it stays in metaDL).
    const hash = fixture.meta.infoHashHex;
    const lonely = "5".repeat(40);
    await page.setFiles("#files", [torrentPath]);
    await page.evaluate(`document.getElementById("magnets").value = ${JSON.stringify(formatMagnet({ infoHash: Buffer.from(lonely, "hex"), name: "lonely" }))}; document.getElementById("add-button").click()`);
    await page.waitUntil(`${cell(hash, "progress")}?.includes("100.0%")`, "the .torrent at 100 %");
    await page.waitUntil(`${cell(lonely, "state")} === "metaDL"`, "the magnet fetching metadata");
    expect(await page.evaluate(`${cell(hash, "name")}`)).toBe("webpage");
    expect(await page.evaluate(`${cell(hash, "ratio")}`)).toBe("0.00");

    await page.evaluate(clickIn(hash, "Stop"));
    await page.waitUntil(`${cell(hash, "state")} === "stoppedUP"`, "stopped");
    expect((await waitForRow(s, hash, (r) => r.state === "stoppedUP", "stopped in the API")).progress).toBe(1);
    await page.evaluate(clickIn(hash, "Start"));
    await page.waitUntil(`["stalledUP", "uploading", "checkingUP"].includes(${cell(hash, "state")})`, "started again");

    await page.evaluate(clickIn(lonely, "Delete"));
    await page.waitUntil(`document.getElementById("summary").textContent === "1 torrents"`, "the magnet deleted");
    expect((await s.qbt.listTorrents()).map((t) => t.hash)).toEqual([hash]);
    expect(await page.evaluate(`document.getElementById("error").textContent`)).toBe("");
  }, 120_000);
});
