// Types for the test-only `bittorrent-dht` package (it ships none): only what test/dht uses.
declare module "bittorrent-dht" {
  import { EventEmitter } from "node:events";
  interface DhtOptions {
    /** Always loopback nodes or [] in ripple's tests (false or undefined would mean the public routers). */
    bootstrap: string[];
    nodeId?: Uint8Array;
    host?: string | false;
  }
  export default class DHT extends EventEmitter {
    constructor(options: DhtOptions);
    readonly nodeId: Buffer;
    listen(port: number, address: string, onListening?: () => void): void;
    address(): { address: string; port: number };
    announce(infoHash: Uint8Array, port: number, callback: (err: Error | null) => void): void;
    lookup(infoHash: Uint8Array, callback?: (err: Error | null, nodesVisited: number) => void): () => void;
    addNode(node: { host: string; port: number; id?: Uint8Array }): void;
    toJSON(): { nodes: { host: string; port: number }[] };
    destroy(callback?: () => void): void;
  }
}
