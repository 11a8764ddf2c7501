// Sign-in: the server's enabled identity providers, plus a guest name.
import { t, reason } from "/i18n.js";
import { call, guest, me, navLinks } from "/api.js";

const $ = (id) => document.getElementById(id);
$("login-title").textContent = t.loginTitle;
$("guest-label").textContent = t.guestName;
$("guest-go").textContent = t.guestSignIn;

/** returnTo is where to go after signing in: a local path only. */
function returnTo() {
  const r = new URLSearchParams(location.search).get("return_to") || "/";
  return r.startsWith("/") && !r.startsWith("//") ? r : "/";
}

async function start() {
  navLinks(await me(), t);
  let providers = [];
  try {
    providers = (await call("GET", "/auth/providers")).providers || [];
  } catch (err) {
    $("message").textContent = reason(err.code, err.message);
  }
  $("providers").replaceChildren(...providers.map((p) => {
    const a = document.createElement("a");
    a.className = "button";
    a.href = `/auth/login/${encodeURIComponent(p.name)}?return_to=${encodeURIComponent(returnTo())}`;
    a.textContent = t.loginWith(p.label || p.name);
    return a;
  }));
  $("no-providers").textContent = `${t.noProviders} ${t.loginHint}`;
  $("no-providers").classList.toggle("hidden", providers.length > 0);
}

$("guest-form").onsubmit = async (e) => {
  e.preventDefault();
  try {
    await guest($("guest-name").value.trim());
    location.assign(returnTo());
  } catch (err) {
    $("message").textContent = reason(err.code, err.message);
    $("message").className = "message error";
  }
};
start();
