// BEP 19 web seed URLs: where a torrent file lives on an HTTP origin named in `url-list` (or a magnet's
// `ws`). Pure; no I/O.

/** The parts of a torrent a web seed URL depends on. */
export interface WebSeedLayout {
  readonly name: string;
  readonly multiFile: boolean;
}

/** Percent-encodes one path component (UTF-8); "/" inside a component can not occur (paths are sanitized). */
function encodeComponent(part: string): string {
  // encodeURIComponent leaves !'()* alone; servers treat them literally, and so do other clients.
  return encodeURIComponent(part);
}

/**
 * The URL of one file of the torrent on the web seed `base`. BEP 19: for a single-file torrent the URL is
 * the file itself, unless it ends in "/" (then the name is appended); for a multi-file torrent the
 * server holds the torrent's directory: base + name + "/" + path, each component percent-encoded.
 */
export function webSeedFileUrl(base: string, layout: WebSeedLayout, path: readonly string[]): string {
  if (!layout.multiFile) return base.endsWith("/") ? base + encodeComponent(layout.name) : base;
  const dir = base.endsWith("/") ? base : `${base}/`;
  return dir + [layout.name, ...path].map(encodeComponent).join("/");
}

/** Whether a url-list entry is one ripple can fetch: an absolute http(s) URL. */
export function isUsableWebSeed(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    // not a URL at all: unusable, which is the answer.
    return false;
  }
}
