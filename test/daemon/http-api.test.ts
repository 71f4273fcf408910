// The daemon's qBittorrent Web API driven by @ctrl/qbittorrent (the library *arr-style tools use) and
// fetch: a loopback swarm (ripple's tracker + an in-process ripple seeder), magnets, the queue, seeding
// limits, categories and tags, auth, and bad input. Everything on 127.0.0.1, DHT off.

import { describe, expect, test } from "bun:test";
import { QBittorrent } from "@ctrl/qbittorrent";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { formatMagnet } from "../../src/metainfo/index.ts";
import { API_KEY, useDaemons, waitForRow } from "../helpers/daemon.ts";
import { expectFixtureOnDisk } from "../helpers/files.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";
import { finished } from "../helpers/torrents.ts";

const { startDaemon, startSeeder, swarmFixture, trackerUrl, tempDirForTest } = useDaemons();

describe("daemon Web API", () => {
  test("@ctrl/qbittorrent adds a .torrent from a tracker swarm and watches it finish", async () => {
    const fixture = await swarmFixture("swarm", 11);
    await startSeeder(fixture);
    const s = await startDaemon();
    expect(await s.qbt.getApiVersion()).toBe("2.11.2");
    await s.qbt.addTorrent(fixture.torrentBytes as Uint8Array<ArrayBuffer>, { category: "tv", tags: "a,b" } as never);
    const hash = fixture.meta.infoHashHex;
    await finished(s.daemon.meta(hash).torrent!);

    const [raw] = await s.qbt.listTorrents({ hashes: hash });
    const save = join(s.dir, "downloads");
    expect(raw).toMatchObject({ hash, name: "swarm", size: 370_001, total_size: 370_001, progress: 1, save_path: save, content_path: join(save, "swarm"), eta: 8_640_000, category: "tv", tags: "a, b", amount_left: 0 });
    expect(["uploading", "stalledUP"]).toContain(raw!.state);
    expect(raw!.ratio).toBe(0);
    expect(raw!.downloaded).toBeGreaterThanOrEqual(370_001);
    expect(raw!.completion_on).toBeGreaterThan(0);
    const normalized = await s.qbt.getTorrent(hash);
    expect(normalized).toMatchObject({ id: hash, name: "swarm", isCompleted: true, progress: 1, label: "tv", savePath: save, state: "seeding" });
    await expectFixtureOnDisk(fixture, save);

    const props = (await (await s.api(`/torrents/properties?hash=${hash}`)).json()) as Record<string, unknown>;
    expect(props).toMatchObject({ hash, save_path: save, piece_size: 32 * 1024, pieces_num: fixture.meta.pieceCount, pieces_have: fixture.meta.pieceCount });
    const files = await s.qbt.torrentFiles(hash);
    expect(files.map((f) => [f.name, f.size, f.progress])).toEqual([["swarm/a.bin", 300_001, 1], ["swarm/sub/b.bin", 70_000, 1]]);
    expect(await s.qbt.getCategories()).toEqual({ tv: { name: "tv", savePath: "" } } as never);

    const main = (await (await s.api("/sync/maindata?rid=0")).json()) as { rid: number; full_update: boolean; torrents: Record<string, { state: string }>; server_state: object };
    expect(main).toMatchObject({ rid: 1, full_update: true, server_state: { connection_status: "connected" } });
    expect(Object.keys(main.torrents)).toEqual([hash]);
    expect(await (await s.api("/transfer/info")).json()).toMatchObject({ connection_status: "connected" });

    // Stopped and started again: stoppedUP, then seeding with the data checked from the resume file.
    await s.qbt.stopTorrent(hash);
    expect(String((await s.qbt.listTorrents({ hashes: hash }))[0]!.state)).toBe("stoppedUP");
    await s.qbt.startTorrent(hash);
    await waitForRow(s, hash, (r) => r.state === "stalledUP" || r.state === "uploading", "seeding again");

    // A recheck hashes the data again (no resume file): back to seeding, every piece there. Export.
    await s.qbt.recheckTorrent(hash);
    await waitForRow(s, hash, (r) => (r.state === "stalledUP" || r.state === "uploading") && r.progress === 1, "seeding after the recheck");
    expect(new Uint8Array(await (await s.api(`/torrents/export?hash=${hash}`)).arrayBuffer())).toEqual(new Uint8Array(fixture.torrentBytes));

    // A seeding time limit of 0 minutes is reached at once: the torrent stops.
    const limits = await s.api("/torrents/setShareLimits", { method: "POST", body: new URLSearchParams({ hashes: hash, ratioLimit: "-1", seedingTimeLimit: "0" }) });
    expect(limits.status).toBe(200);
    await waitForRow(s, hash, (r) => r.state === "stoppedUP" && r.seeding_time_limit === 0, "stopped by its seeding time limit");

    await s.qbt.removeTorrent(hash, true);
    expect(await s.qbt.listTorrents()).toEqual([]);
    expect(existsSync(join(save, "swarm"))).toBe(false);
  }, 60_000);

  test("a magnet fetches its metadata from the swarm, finishes, and the global ratio limit of 0 stops it (stoppedUP)", async () => {
    const fixture = await swarmFixture("magnetic", 21);
    await startSeeder(fixture);
    const s = await startDaemon({ shareLimits: { ratio: 0 } });
    expect(await s.qbt.getPreferences()).toMatchObject({ max_ratio_enabled: true, max_ratio: 0, max_seeding_time_enabled: false });
    const magnet = formatMagnet({ infoHash: fixture.meta.infoHash, name: "magnetic", trackers: [await trackerUrl()] });
    await s.qbt.addMagnet(magnet);
    const hash = fixture.meta.infoHashHex;
    const row = await waitForRow(s, hash, (r) => r.state === "stoppedUP", "seeding limit reached");
    expect(row).toMatchObject({ name: "magnetic", progress: 1, size: 370_001, ratio_limit: -2 });
    await expectFixtureOnDisk(fixture, join(s.dir, "downloads"));
    expect(existsSync(join(s.dir, "state", "torrents", `${hash}.torrent`))).toBe(true);
  }, 60_000);

  test("the queue, categories, tags, share limits, topPrio and state kept across a restart", async () => {
    const dir = await tempDirForTest("ripple-daemon-");
    const s = await startDaemon({ maxActiveDownloads: 1, dir });
    // No tracker, no peers: both stay incomplete, so the queue decides alone who runs.
    const one = makeTorrentFixture({ name: "one", pieceLength: 16384, data: patternBytes(40_000, 1) });
    const two = makeTorrentFixture({ name: "two", pieceLength: 16384, data: patternBytes(40_000, 2) });
    await s.qbt.createCategory("movies", join(dir, "downloads", "movies"));
    await s.qbt.addTorrent(one.torrentBytes as Uint8Array<ArrayBuffer>, { category: "movies" } as never);
    await s.qbt.addTorrent(two.torrentBytes as Uint8Array<ArrayBuffer>, { ratioLimit: "2", seedingTimeLimit: "30" } as never);
    const [h1, h2] = [one.meta.infoHashHex, two.meta.infoHashHex];
    await waitForRow(s, h1, (r) => r.state === "stalledDL", "running");
    expect((await s.qbt.listTorrents({ hashes: h2 }))[0]).toMatchObject({ state: "queuedDL", priority: 2, ratio_limit: 2, seeding_time_limit: 30 });
    expect((await s.qbt.listTorrents({ hashes: h1 }))[0]).toMatchObject({ save_path: join(dir, "downloads", "movies"), category: "movies", priority: 1 });

    await s.qbt.topPriority(h2);
    await waitForRow(s, h2, (r) => r.state === "stalledDL", "running after topPrio");
    expect(String((await s.qbt.listTorrents({ hashes: h1 }))[0]!.state)).toBe("queuedDL");

    // Force-started, the queued one runs too, outside the queue; back in it, it waits again. bottomPrio.
    const post = (path: string, params: Record<string, string>) => s.api(path, { method: "POST", body: new URLSearchParams(params) });
    expect((await post("/torrents/setForceStart", { hashes: h1, value: "true" })).status).toBe(200);
    await waitForRow(s, h1, (r) => r.state === "forcedDL" && r.force_start === true, "force-started");
    expect((await post("/torrents/setForceStart", { hashes: h1, value: "false" })).status).toBe(200);
    await waitForRow(s, h1, (r) => r.state === "queuedDL", "queued again");
    expect((await post("/torrents/bottomPrio", { hashes: h2 })).status).toBe(200);
    await waitForRow(s, h1, (r) => r.state === "stalledDL" && r.priority === 1, "running after the other went to the bottom");
    await s.qbt.topPriority(h2);
    await waitForRow(s, h2, (r) => r.state === "stalledDL", "running after topPrio again");

    expect((await post("/torrents/editCategory", { category: "movies", savePath: "films" })).status).toBe(200);
    expect(await s.qbt.getCategories()).toEqual({ movies: { name: "movies", savePath: join(dir, "downloads", "films") } } as never);
    expect((await post("/torrents/createTags", { tags: "spare,x" })).status).toBe(200);
    expect((await post("/torrents/deleteTags", { tags: "spare" })).status).toBe(200);

    await s.qbt.setTorrentCategory(h2, "movies");
    await s.qbt.addTorrentTags(h2, "x,y");
    const share = await s.api("/torrents/setShareLimits", { method: "POST", body: new URLSearchParams({ hashes: h2, ratioLimit: "1.5", seedingTimeLimit: "60" }) });
    expect(share.status).toBe(200);
    expect(await (await s.api("/torrents/setCategory", { method: "POST", body: new URLSearchParams({ hashes: h2, category: "nope" }) })).text()).toContain('category "nope" does not exist');
    expect((await s.qbt.listTorrents({ category: "movies" })).map((t) => t.hash).sort()).toEqual([h1, h2].sort());
    expect((await s.qbt.listTorrents({ tag: "y" })).map((t) => t.hash)).toEqual([h2]);
    expect(await s.qbt.getTags()).toEqual(["x", "y"]);
    expect((await s.qbt.listTorrents({ filter: "downloading" })).length).toBe(2);
    await s.qbt.stopTorrent(h2);
    await waitForRow(s, h1, (r) => r.state === "stalledDL", "running once the other stopped");
    expect((await s.qbt.listTorrents({ filter: "stopped" })).map((t) => t.hash)).toEqual([h2]);

    // A second daemon on the same state dir (after a graceful stop) sees the same torrents.
    await s.daemon.close();
    const again = await startDaemon({ maxActiveDownloads: 1, dir });
    const rows = await again.qbt.listTorrents({ sort: "name" });
    expect(rows.map((r) => [r.name, r.state, r.category, r.tags, r.ratio_limit, r.seeding_time_limit])).toEqual([
      ["one", "stalledDL", "movies", "", -2, -2],
      ["two", "stoppedDL", "movies", "x, y", 1.5, 60],
    ]);
  }, 60_000);

  test("auth: API keys, login cookies, Basic; localhost bypass only when asked", async () => {
    const hash = await Bun.password.hash("secret-pass");
    const s = await startDaemon({ auth: { credentials: { username: "admin", passwordHash: hash } } });
    const info = (headers: Record<string, string>) => fetch(`${s.url}/api/v2/torrents/info`, { headers });
    expect((await info({})).status).toBe(403);
    const wrong = await info({ authorization: "Bearer wrong-key" });
    expect([wrong.status, await wrong.text()]).toEqual([403, "Forbidden: invalid API key"]);
    const bad = await fetch(`${s.url}/api/v2/auth/login`, { method: "POST", body: new URLSearchParams({ username: "admin", password: "nope" }) });
    expect([bad.headers.get("set-cookie"), await bad.text()]).toEqual([null, "Fails."]);
    const login = await fetch(`${s.url}/api/v2/auth/login`, { method: "POST", body: new URLSearchParams({ username: "admin", password: "secret-pass" }) });
    const sid = /SID=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1];
    expect(sid).toBeString();
    expect((await info({ cookie: `SID=${sid}` })).status).toBe(200);
    expect((await info({ authorization: `Basic ${btoa("admin:secret-pass")}` })).status).toBe(200);
    expect((await info({ authorization: `Basic ${btoa("admin:nope")}` })).status).toBe(403);
    const viaLogin = new QBittorrent({ baseUrl: s.url, username: "admin", password: "secret-pass" });
    expect(await viaLogin.listTorrents()).toEqual([]);

    const open = await startDaemon({ auth: { bypassLocalhost: true } });
    expect((await fetch(`${open.url}/api/v2/torrents/info`)).status).toBe(200);
    // Not for a DNS name rebound to 127.0.0.1, nor for another site's page (CSRF), even with a key.
    expect((await fetch(`${open.url}/api/v2/torrents/info`, { headers: { host: "evil.example" } })).status).toBe(403);
    const csrf = await fetch(`${s.url}/api/v2/torrents/add`, { method: "POST", body: new URLSearchParams({ urls: "magnet:?xt=urn:btih:" + "1".repeat(40) }), headers: { authorization: `Bearer ${API_KEY}`, origin: "http://evil.example" } });
    expect([csrf.status, await csrf.text()]).toEqual([403, `Forbidden: cross-site request (origin evil.example does not match host 127.0.0.1:${new URL(s.url).port})`]);
    expect(await s.qbt.listTorrents()).toEqual([]);
  });

  test("bad input: clear errors, and nothing already added is lost", async () => {
    const s = await startDaemon();
    const kept = makeTorrentFixture({ name: "kept", pieceLength: 16384, data: patternBytes(20_000, 5) });
    await s.qbt.addTorrent(kept.torrentBytes as Uint8Array<ArrayBuffer>, { paused: "true" } as never);
    const hashes = async () => (await s.qbt.listTorrents()).map((t) => t.hash);
    expect(await hashes()).toEqual([kept.meta.infoHashHex]);

    const post = async (form: FormData | string, headers: Record<string, string> = {}) => {
      const res = await s.api("/torrents/add", { method: "POST", body: form, headers });
      return [res.status, await res.text()] as const;
    };
    const [malformedStatus, malformed] = await post("--xx\r\nContent-Disposition: form-data; name=\"urls\"\r\n\r\nmagnet", { "content-type": "multipart/form-data; boundary=xx" });
    expect(malformedStatus).toBe(400);
    expect(malformed).toStartWith("malformed multipart/form-data body:");

    const huge = new FormData();
    huge.append("torrents", new File([new Uint8Array(17 * 1024 * 1024)], "huge.torrent"));
    const [hugeStatus, hugeText] = await post(huge);
    expect([hugeStatus, hugeText]).toEqual([413, `torrent file huge.torrent too large: ${17 * 1024 * 1024} bytes > ${16 * 1024 * 1024}`]);

    const other = makeTorrentFixture({ name: "other", pieceLength: 16384, data: patternBytes(20_000, 6) });
    for (const savepath of ["../../etc", "/etc", join(s.dir, "downloads", "..", "state")]) {
      const form = new FormData();
      form.append("torrents", new File([other.torrentBytes as Uint8Array<ArrayBuffer>], "other.torrent"));
      form.append("savepath", savepath);
      const [status, message] = await post(form);
      expect(status).toBe(400);
      expect(message).toStartWith(`savepath ${savepath} is outside the allowed directories`);
    }

    const garbage = new FormData();
    garbage.append("torrents", new File([new TextEncoder().encode("d4:infoi1ee")], "bad.torrent"));
    const [garbageStatus, garbageText] = await post(garbage);
    expect(garbageStatus).toBe(400);
    expect(garbageText).toStartWith("added 0 of 1:");
    expect(await post(new FormData())).toEqual([400, "nothing to add: give urls (magnet links) or torrents (.torrent files)"]);
    const dup = new FormData();
    dup.append("torrents", new File([kept.torrentBytes as Uint8Array<ArrayBuffer>], "kept.torrent"));
    expect(await post(dup)).toEqual([200, "Fails."]);

    const unknown = await s.api("/torrents/frobnicate");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("/api/v2/torrents/frobnicate is not an endpoint");
    expect((await s.api(`/torrents/properties?hash=${"0".repeat(40)}`)).status).toBe(404);
    expect((await s.api("/torrents/info?filter=bogus")).status).toBe(400);
    expect((await s.api(`/torrents/delete?hashes=${kept.meta.infoHashHex}`)).status).toBe(405);

    expect(await hashes()).toEqual([kept.meta.infoHashHex]);

    // A save path the data cannot go to (a file where its directory should be): the torrent is `error`.
    await mkdir(join(s.dir, "downloads"), { recursive: true });
    await writeFile(join(s.dir, "downloads", "blocked"), "a file, not a directory");
    const blocked = new FormData();
    blocked.append("torrents", new File([other.torrentBytes as Uint8Array<ArrayBuffer>], "other.torrent"));
    blocked.append("savepath", "blocked");
    expect(await post(blocked)).toEqual([200, "Ok."]);
    await waitForRow(s, other.meta.infoHashHex, (r) => r.state === "error", "the error state");
    expect((await s.qbt.listTorrents({ filter: "errored" })).map((t) => t.hash)).toEqual([other.meta.infoHashHex]);
  });
});
