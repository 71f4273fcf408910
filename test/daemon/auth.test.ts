// Web API login sessions on the injected clock: a session cookie lasts an hour from its last use
// (qBittorrent's web_ui_session_timeout), driven by FakeTime rather than waited for.

import { describe, expect, test } from "bun:test";
import { Auth } from "../../src/daemon/auth.ts";
import { FakeTime } from "../helpers/fake-time.ts";

const HOUR_MS = 3_600_000;

async function authOn(clock: FakeTime): Promise<Auth> {
  const passwordHash = await Bun.password.hash("secret-pass");
  return new Auth({ credentials: { username: "admin", passwordHash }, apiKeys: [], bypassLocalhost: false, clock });
}

const withCookie = (sid: string) => new Request("http://127.0.0.1:8080/api/v2/torrents/info", { headers: { cookie: `SID=${sid}`, host: "127.0.0.1:8080" } });

describe("auth sessions", () => {
  test("a session expires an hour after its last use, on the injected clock", async () => {
    const time = new FakeTime();
    const auth = await authOn(time);
    const sid = (await auth.login("admin", "secret-pass"))!;
    expect(sid).toBeString();
    const idle = (await auth.login("admin", "secret-pass"))!;

    time.advance(HOUR_MS); // exactly an hour: still valid, and using it starts a new hour
    expect(await auth.check(withCookie(sid), "127.0.0.1")).toEqual({ ok: true });
    time.advance(1); // the session not used meanwhile has expired
    expect(await auth.check(withCookie(idle), "127.0.0.1")).toMatchObject({ ok: false, status: 403 });

    time.advance(HOUR_MS - 1);
    expect(await auth.check(withCookie(sid), "127.0.0.1")).toEqual({ ok: true });
    time.advance(HOUR_MS + 1);
    expect(await auth.check(withCookie(sid), "127.0.0.1")).toMatchObject({ ok: false, status: 403 });
  });

  test("logging out ends the session at once", async () => {
    const time = new FakeTime();
    const auth = await authOn(time);
    const sid = (await auth.login("admin", "secret-pass"))!;
    expect(await auth.check(withCookie(sid), "127.0.0.1")).toEqual({ ok: true });
    auth.logout(withCookie(sid));
    expect(await auth.check(withCookie(sid), "127.0.0.1")).toMatchObject({ ok: false, status: 403 });
  });
});
