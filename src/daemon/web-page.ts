// The daemon's web page at `/`: plain HTML and JavaScript over the same Web API (no build step, no
// external assets): log in, list torrents with progress and rates, add by magnet or file, stop/start, delete.

export const WEB_PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export const WEB_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ripple</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
  table { border-collapse: collapse; width: 100%; margin-top: 1em; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; white-space: nowrap; }
  td.name { white-space: normal; word-break: break-all; }
  .bar { width: 120px; height: 10px; background: #eee; display: inline-block; vertical-align: middle; }
  .bar > span { display: block; height: 100%; background: #3a7; }
  #error { color: #b00; min-height: 1.2em; }
  [hidden] { display: none !important; }
  textarea { width: 100%; max-width: 50em; }
</style>
</head>
<body>
<h1>ripple</h1>
<form id="login" hidden>
  <label>User <input id="username" value="admin" autocomplete="username"></label>
  <label>Password <input id="password" type="password" autocomplete="current-password"></label>
  <button id="login-button" type="submit">Log in</button>
</form>
<div id="app" hidden>
  <form id="add">
    <div><textarea id="magnets" rows="2" placeholder="magnet links, one per line"></textarea></div>
    <div><input id="files" type="file" accept=".torrent,application/x-bittorrent" multiple>
    <button id="add-button" type="submit">Add</button></div>
  </form>
  <div id="summary"></div>
  <table>
    <thead><tr><th>Name</th><th>State</th><th>Progress</th><th>Size</th><th>Down</th><th>Up</th><th>Ratio</th><th></th></tr></thead>
    <tbody id="torrents"></tbody>
  </table>
</div>
<div id="error" role="alert"></div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const API = "/api/v2";
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
function bytes(n) { let u = 0; while (n >= 1024 && u < UNITS.length - 1) { n /= 1024; u++; } return (u ? n.toFixed(1) : n) + " " + UNITS[u]; }
function showError(text) { $("error").textContent = text || ""; }
async function call(path, body) {
  const res = await fetch(API + path, body ? { method: "POST", body } : {});
  if (res.status === 403) { showLogin(); throw new Error("not logged in"); }
  const text = await res.text();
  if (!res.ok) throw new Error(text || res.statusText);
  if (text.trim() === "Fails.") throw new Error("the daemon refused it (already added?)");
  return text;
}
function showLogin() { $("login").hidden = false; $("app").hidden = true; }
function cell(tr, text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }
function button(td, label, onClick) {
  const b = document.createElement("button"); b.type = "button"; b.textContent = label;
  b.addEventListener("click", () => onClick().then(refresh).catch((e) => showError(e.message)));
  td.appendChild(b);
}
function action(name, hash) { return call("/torrents/" + name, new URLSearchParams({ hashes: hash, deleteFiles: "false" })); }
async function refresh() {
  const list = JSON.parse(await call("/torrents/info?sort=added_on"));
  $("login").hidden = true; $("app").hidden = false;
  const body = $("torrents");
  body.replaceChildren();
  for (const t of list) {
    const tr = document.createElement("tr");
    tr.dataset.hash = t.hash;
    cell(tr, t.name, "name");
    cell(tr, t.state, "state");
    const p = cell(tr, "", "progress");
    const bar = document.createElement("span"); bar.className = "bar";
    const fill = document.createElement("span"); fill.style.width = (t.progress * 100).toFixed(1) + "%";
    bar.appendChild(fill); p.appendChild(bar);
    p.appendChild(document.createTextNode(" " + (t.progress * 100).toFixed(1) + "%"));
    cell(tr, bytes(t.size));
    cell(tr, bytes(t.dlspeed) + "/s", "down");
    cell(tr, bytes(t.upspeed) + "/s", "up");
    cell(tr, t.ratio.toFixed(2), "ratio");
    const actions = cell(tr, "", "actions");
    const stopped = t.state.startsWith("stopped") || t.state.startsWith("paused");
    button(actions, stopped ? "Start" : "Stop", () => action(stopped ? "start" : "stop", t.hash));
    button(actions, "Delete", () => action("delete", t.hash));
    body.appendChild(tr);
  }
  $("summary").textContent = list.length + " torrents";
  showError("");
}
$("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  fetch(API + "/auth/login", { method: "POST", body: new URLSearchParams({ username: $("username").value, password: $("password").value }) })
    .then((r) => r.text())
    .then((t) => { if (t.trim() !== "Ok.") throw new Error("wrong user name or password"); return refresh(); })
    .catch((e) => showError(e.message));
});
$("add").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = new FormData();
  const urls = $("magnets").value.trim();
  if (urls) form.append("urls", urls);
  for (const f of $("files").files) form.append("torrents", f, f.name);
  call("/torrents/add", form)
    .then(() => { $("magnets").value = ""; $("files").value = ""; return refresh(); })
    .catch((e) => showError(e.message));
});
refresh().catch((e) => { if (e.message !== "not logged in") showError(e.message); });
setInterval(() => { if (!$("app").hidden) refresh().catch((e) => showError(e.message)); }, 1000);
</script>
</body>
</html>
`;
