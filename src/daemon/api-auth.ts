// The Web API's /auth section: login (username, password) -> an `SID` cookie, and logout. Login is the
// one route served without a session; auth.ts checks every other request. Shell: HTTP answers from Auth.

import { text, type ApiContext, type Handler, type Routes } from "./api-context.ts";

export const LOGIN_PATH = "/api/v2/auth/login";

export function loginRoute({ auth }: ApiContext): Handler {
  return async (p) => {
    const sid = await auth.login(p.get("username") ?? "", p.get("password") ?? "");
    if (sid === undefined) return text("Fails.");
    return text("Ok.", 200, { "set-cookie": `SID=${sid}; HttpOnly; SameSite=Strict; Path=/` });
  };
}

export function authRoutes({ auth }: ApiContext): Routes {
  return {
    "/api/v2/auth/logout": (_p, req) => (auth.logout(req), text("")),
  };
}
