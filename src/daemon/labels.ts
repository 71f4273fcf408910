// Categories and tags of the daemon's torrents, with qBittorrent's rules (a torrent's category must
// exist; tags are created on use). Pure: edits the state and records in place; the daemon saves them.

import { RippleError } from "../util/index.ts";
import type { DaemonState, TorrentRecord } from "./state-store.ts";

function requireCategory(state: DaemonState, name: string): void {
  if (!Object.hasOwn(state.categories, name)) throw new RippleError("CONFLICT", `category "${name}" does not exist`);
}

/** "" clears the category. */
export function setCategory(state: DaemonState, records: readonly TorrentRecord[], category: string): void {
  if (category !== "") requireCategory(state, category);
  for (const r of records) r.category = category;
}

/** `savePath`: absolute (already checked against the allowed roots), or "" for the default. */
export function createCategory(state: DaemonState, name: string, savePath: string): void {
  if (name.trim() === "" || name.includes("\\") || name.startsWith("/") || name.endsWith("/") || name.includes("//")) {
    throw new RippleError("CONFLICT", `invalid category name "${name}"`);
  }
  if (Object.hasOwn(state.categories, name)) throw new RippleError("CONFLICT", `category "${name}" already exists`);
  state.categories[name] = { savePath };
}

export function editCategory(state: DaemonState, name: string, savePath: string): void {
  requireCategory(state, name);
  state.categories[name] = { savePath };
}

export function removeCategories(state: DaemonState, names: readonly string[]): void {
  for (const name of names) {
    delete state.categories[name];
    for (const r of state.torrents) if (r.category === name) r.category = "";
  }
}

/** Adds the tags (trimmed, empty ones dropped) to the known ones and to each record; returns them. */
export function addTags(state: DaemonState, records: readonly TorrentRecord[], tags: readonly string[]): string[] {
  const clean = [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
  for (const t of clean) if (!state.tags.includes(t)) state.tags.push(t);
  for (const r of records) r.tags = [...new Set([...r.tags, ...clean])];
  return clean;
}

/** No tags given removes every tag of the records. */
export function removeTags(records: readonly TorrentRecord[], tags: readonly string[]): void {
  for (const r of records) r.tags = tags.length === 0 ? [] : r.tags.filter((t) => !tags.includes(t));
}

export function deleteTags(state: DaemonState, tags: readonly string[]): void {
  state.tags = state.tags.filter((t) => !tags.includes(t));
  for (const r of state.torrents) r.tags = r.tags.filter((t) => !tags.includes(t));
}
