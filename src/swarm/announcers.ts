// Several peer sources behind the one Announcer a torrent talks to: the trackers and the DHT are told
// the same things (start, completed, more peers please, stop). Pure fan-out; no I/O of its own.

import type { Announcer } from "../util/index.ts";

/** One Announcer over many; undefined entries are skipped, and none at all gives undefined. */
export function combineAnnouncers(list: readonly (Announcer | undefined)[]): Announcer | undefined {
  const all = list.filter((a): a is Announcer => a !== undefined);
  if (all.length <= 1) return all[0];
  return {
    start: () => all.forEach((a) => a.start()),
    completed: () => all.forEach((a) => a.completed()),
    requestPeers: () => all.forEach((a) => a.requestPeers()),
    stop: async () => {
      await Promise.allSettled(all.map((a) => a.stop()));
    },
  };
}

/**
 * An Announcer whose real one is still being made (the DHT node binds its socket asynchronously): calls
 * made meanwhile are replayed on it, and a stop before it exists stops it as soon as it does. If making
 * it fails, `onError` hears why and the calls are dropped.
 */
export function deferredAnnouncer(make: Promise<Announcer>, onError: (err: unknown) => void): Announcer {
  let inner: Announcer | undefined;
  let stopped = false;
  const queued: ("start" | "completed" | "requestPeers")[] = [];
  const ready = make.then(
    (a) => {
      inner = a;
      if (stopped) return;
      for (const call of queued) a[call]();
    },
    (err: unknown) => onError(err),
  );
  const call = (name: "start" | "completed" | "requestPeers") => () => {
    if (inner) inner[name]();
    else queued.push(name);
  };
  return {
    start: call("start"),
    completed: call("completed"),
    requestPeers: call("requestPeers"),
    stop: async () => {
      stopped = true;
      await ready;
      await inner?.stop();
    },
  };
}
