// The contract between the swarm and whatever finds it peers (the trackers' announcer, the DHT's): one
// shape both implement, kept here because tracker and dht are siblings that must not import each other.
// The timers their schedules take are the Clock's (clock.ts). Types only.

import type { PeerAddress } from "./peer-address.ts";

/** What finds peers for a torrent; the swarm only tells it how we are doing. No method throws. */
export interface Announcer {
  start(): void;
  completed(): void;
  /** Asks for peers now, if the source's own rate rules allow (a tracker's min interval, the DHT's minute). */
  requestPeers(): void;
  stop(): Promise<void>;
}

/** What an announcer asks of the swarm it works for. */
export interface AnnouncerHooks {
  getStats(): { uploaded: number; downloaded: number; left: number };
  /** A source answered; `peers` may be empty. `source` names it: a tracker URL without the query, or "dht". */
  onPeers(peers: PeerAddress[], source: string): void;
}
