// Small helpers over the JSON API and the session routes: every call is
// same-origin with the session cookie, and a failure rejects with the
// server's stable {code, message}.

/** call fetches path and resolves with the parsed JSON body (or null). */
export async function call(method, path, body, headers = {}) {
  const init = { method, credentials: "same-origin", headers: { ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (err) {
    throw { code: "unavailable", message: String(err) };
  }
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) {
    const e = data?.error || data || {};
    throw { status: r.status, code: e.code || `http_${r.status}`, message: e.message || text };
  }
  return data;
}

/** me resolves with the signed-in principal, refreshing an expired access cookie once, or null. */
export async function me() {
  for (let attempt = 0; attempt < 2; attempt++) {
    const r = await fetch("/auth/me", { credentials: "same-origin" });
    if (r.ok) return (await r.json()).user || null;
    if (r.status !== 401 || attempt > 0) return null;
    const refreshed = await fetch("/auth/refresh", { method: "POST", credentials: "same-origin" });
    if (!refreshed.ok) return null;
  }
  return null;
}

/** guest signs in as a guest with a display name. */
export async function guest(name) {
  return (await call("POST", "/auth/guest", { display_name: name })).user;
}

/** logout ends the session. */
export async function logout() {
  await call("POST", "/auth/logout");
}

/** navLinks fills the header's links: studio for sellers, account or sign-in. */
export function navLinks(user, t) {
  const nav = document.getElementById("nav");
  if (!nav) return;
  const links = [];
  if (user && (user.role === "seller" || user.role === "admin")) links.push(["/studio", t.studio]);
  links.push(user ? ["/account", user.display_name || t.account] : ["/login", t.signIn]);
  nav.replaceChildren(...links.map(([href, text]) => {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }));
}

/** thumbnail is the small picture of a ready media entry: a photo's 320 px variant or a clip's poster, as the API lists them in `urls`. */
export function thumbnail(m) {
  return m.urls?.poster || m.urls?.w320 || "";
}
