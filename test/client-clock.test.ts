// The Client's clock (ClientOptions.clock) reaches what the client builds itself: here the handshake
// deadline of an incoming peer, over a real socket on 127.0.0.1, moved by a fake clock. (The tracker
// timeout on the client's clock is in client-trackers.test.ts.)

import { expect, test } from "bun:test";
import { FakeTime, settle } from "./helpers/fake-time.ts";
import { useClients } from "./helpers/torrents.ts";

const { client } = useClients();

test("an incoming peer that never sends its handshake is dropped at the deadline on the client's clock", async () => {
  const time = new FakeTime();
  // The deadline is longer than the test's own timeout: only the fake clock can reach it.
  const c = client({ clock: time, handshakeTimeoutMs: 120_000, utp: "off" });
  const deadlineSet = time.nextTimer();
  const closed = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: c.port,
    socket: { data() {}, close: () => closed.resolve() },
  });
  try {
    expect(await deadlineSet).toBe(120_000);
    time.advance(119_999);
    await settle();
    expect(socket.readyState).toBe(1);
    time.advance(1);
    await closed.promise;
  } finally {
    socket.end();
  }
});
