// Benchmark reference: a plain loopback TCP-to-file copy, the floor a download over 127.0.0.1 can reach.
//   bun scripts/bench/tcp-copy.ts recv OUT_FILE [--fsync] [--sha1 PIECE_BYTES]
//        listens on 127.0.0.1 (free port), prints "listening PORT", writes one connection to OUT_FILE;
//        --sha1 also hashes every PIECE_BYTES of the stream, as a download verifies its pieces (compiled
//        with `bun build --compile`, this is the Bun runtime's floor for a download: the "Bun floor" row of `bun run bench`)
//   bun scripts/bench/tcp-copy.ts send PORT IN_FILE          streams IN_FILE to 127.0.0.1:PORT
// RIPPLE_TCP_COPY_HOST=IP replaces 127.0.0.1 on both sides: the network lab runs this between its hosts.
// Never binds or connects beyond 127.0.0.1 (or that lab address).

import { closeSync, fdatasyncSync, openSync, readSync, writeSync } from "node:fs";

const [mode, a, b] = process.argv.slice(2);
const HOST = process.env.RIPPLE_TCP_COPY_HOST ?? "127.0.0.1";

if (mode === "recv" && a !== undefined) {
  const fd = openSync(a, "w");
  const fsync = process.argv.includes("--fsync");
  const at = process.argv.indexOf("--sha1");
  const pieceBytes = at > 0 ? Number(process.argv[at + 1]) : 0;
  let hasher = new Bun.CryptoHasher("sha1");
  let inPiece = 0;
  const hash = (chunk: Uint8Array): void => {
    for (let off = 0; off < chunk.length; ) {
      const take = Math.min(pieceBytes - inPiece, chunk.length - off);
      hasher.update(chunk.subarray(off, off + take));
      off += take;
      inPiece += take;
      if (inPiece === pieceBytes) {
        hasher.digest();
        hasher = new Bun.CryptoHasher("sha1");
        inPiece = 0;
      }
    }
  };
  const server = Bun.listen({
    hostname: HOST,
    port: 0,
    socket: {
      data(_socket, chunk) {
        if (pieceBytes > 0) hash(chunk);
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
      },
      close() {
        if (fsync) fdatasyncSync(fd);
        closeSync(fd);
        server.stop(true);
        process.exit(0);
      },
      error(_socket, error) {
        console.error(`receive failed: ${error.message}`);
        process.exit(1);
      },
    },
  });
  console.log(`listening ${server.port}`);
} else if (mode === "send" && a !== undefined && b !== undefined) {
  const fd = openSync(b, "r");
  const buffer = new Uint8Array(1024 * 1024);
  let pending = buffer.subarray(0, 0);
  // Writes until the socket pushes back; `drain` resumes. Returns once the whole file is handed over.
  const pump = (socket: Bun.Socket): void => {
    for (;;) {
      if (pending.length === 0) {
        const n = readSync(fd, buffer);
        if (n === 0) {
          socket.end();
          return;
        }
        pending = buffer.subarray(0, n);
      }
      const written = socket.write(pending);
      pending = pending.subarray(Math.max(written, 0));
      if (pending.length > 0) return;
    }
  };
  await Bun.connect({
    hostname: HOST,
    port: Number(a),
    socket: {
      open: pump,
      drain: pump,
      close: () => process.exit(0),
      error(_socket, error) {
        console.error(`send failed: ${error.message}`);
        process.exit(1);
      },
    },
  });
} else {
  console.error("usage: tcp-copy.ts recv OUT_FILE [--fsync] [--sha1 PIECE_BYTES] | send PORT IN_FILE");
  process.exit(2);
}
