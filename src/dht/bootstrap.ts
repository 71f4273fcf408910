// The DHT bootstrap list (BEP 5 joining) as IPv4 addresses: names resolved through DNS, the answer cached.
// Shell: DNS. An empty answer (offline) is not cached, so the next lookup tries again.

import { lookup as dnsLookup } from "node:dns/promises";
import { errorMessage, parseIpv4, type Logger, type PeerAddress } from "../util/index.ts";

/** Router addresses change rarely; resolve again after this long. */
export const BOOTSTRAP_RESOLVE_MS = 30 * 60_000;

export class BootstrapList {
  readonly #entries: readonly PeerAddress[];
  readonly #log: Logger;
  #cache: { at: number; addresses: PeerAddress[] } | undefined;

  constructor(entries: readonly PeerAddress[], log: Logger) {
    this.#entries = entries;
    this.#log = log;
  }

  async addresses(now: number): Promise<PeerAddress[]> {
    if (this.#cache && now - this.#cache.at < BOOTSTRAP_RESOLVE_MS) return this.#cache.addresses;
    const resolved = await Promise.all(this.#entries.map((entry) => this.#resolve(entry)));
    const addresses = resolved.flat();
    this.#cache = addresses.length > 0 ? { at: now, addresses } : undefined;
    return addresses;
  }

  async #resolve(entry: PeerAddress): Promise<PeerAddress[]> {
    if (parseIpv4(entry.host)) return [entry];
    try {
      return [{ host: (await dnsLookup(entry.host, { family: 4 })).address, port: entry.port }];
    } catch (err) {
      this.#log.debug(`cannot resolve dht bootstrap node ${entry.host}: ${errorMessage(err)}`);
      return [];
    }
  }
}
