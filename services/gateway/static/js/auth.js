// Sign-in: OIDC authorization code with PKCE, done in the browser against the configured issuer;
// or, in local mode, the operator's admin token. The token lives in this tab's sessionStorage.
import { h, mount } from "./ui.js";

const TOKEN = "devforge.token";
const TENANT = "devforge.tenant";
const PENDING = "devforge.signin";

let config = null;

export async function loadConfig() {
  if (!config) {
    const response = await fetch("/dashboard/config.json");
    config = await response.json();
  }
  return config;
}

export const currentToken = () => sessionStorage.getItem(TOKEN);
export const operatorTenant = () => sessionStorage.getItem(TENANT);
export const isLocal = () => config && config.mode === "local";

export function signOut(message) {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(TENANT);
  if (message) sessionStorage.setItem("devforge.notice", message);
  location.hash = "";
  location.reload();
}

function randomString(bytes = 32) {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return base64url(data);
}

function base64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function discovery() {
  const url = `${config.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the issuer's discovery document answered ${response.status}`);
  return response.json();
}

function redirectUri() {
  return `${location.origin}/`;
}

async function startOidc(loginHint) {
  const meta = await discovery();
  const verifier = randomString(48);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = randomString(16);
  const back = location.hash && location.hash !== "#/signin" ? location.hash : "#/jobs";
  sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier, back }));
  const url = new URL(meta.authorization_endpoint);
  const params = {
    response_type: "code", client_id: config.client_id, redirect_uri: redirectUri(),
    scope: config.scope, state, code_challenge: challenge, code_challenge_method: "S256",
  };
  if (loginHint) params.login_hint = loginHint;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  location.assign(url.toString());
}

// The issuer sent the browser back with ?code=…&state=…: exchange the code for a token.
export async function finishOidcIfReturning() {
  const query = new URLSearchParams(location.search);
  if (!query.has("code") && !query.has("error")) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", "/" + (pending ? pending.back : "#/jobs"));
  if (query.has("error")) throw new Error(`sign-in failed: ${query.get("error_description") || query.get("error")}`);
  if (!pending || pending.state !== query.get("state")) throw new Error("sign-in failed: the state does not match; try again");
  const meta = await discovery();
  const response = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", code: query.get("code"), redirect_uri: redirectUri(),
      client_id: config.client_id, code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error(`sign-in failed: the issuer answered ${response.status}`);
  const tokens = await response.json();
  sessionStorage.setItem(TOKEN, tokens.access_token);
  return true;
}

export function renderSignIn(error) {
  const notice = sessionStorage.getItem("devforge.notice");
  sessionStorage.removeItem("devforge.notice");
  const message = error || notice;
  const card = h("section", { class: "signin card" },
    h("div", { class: "brand big" }, h("span", { class: "logo" }, "◆"), " DevForge"),
    h("p", { class: "muted" }, "Tickets in, reviewed pull requests out."),
    message ? h("p", { class: "error", role: "alert" }, message) : null,
  );
  if (config.mode === "oidc") {
    const hint = h("input", { id: "login-hint", name: "login_hint", type: "text", autocomplete: "username", placeholder: "you@company.com (optional)" });
    const go = h("button", { class: "primary", type: "submit", id: "signin" }, "Sign in with your organisation");
    card.append(h("form", {
      class: "stack",
      onsubmit: (event) => { event.preventDefault(); go.disabled = true; startOidc(hint.value.trim()).catch((e) => renderSignIn(e.message)); },
    }, h("label", { for: "login-hint" }, "Account"), hint, go));
  } else {
    const token = h("input", { id: "admin-token", type: "password", autocomplete: "off", required: true });
    const tenant = h("input", { id: "tenant", type: "text", value: "default", required: true });
    card.append(
      h("p", { class: "banner warn" }, "Local mode: no OIDC issuer is configured. Only the operator's admin token (DEVFORGE_ADMIN_TOKEN) signs in."),
      h("form", {
        class: "stack",
        onsubmit: (event) => {
          event.preventDefault();
          sessionStorage.setItem(TOKEN, token.value.trim());
          sessionStorage.setItem(TENANT, tenant.value.trim());
          location.hash = "#/jobs";
          location.reload();
        },
      }, h("label", { for: "admin-token" }, "Admin token"), token,
         h("label", { for: "tenant" }, "Tenant"), tenant,
         h("button", { class: "primary", type: "submit", id: "signin" }, "Sign in")),
    );
  }
  document.getElementById("topbar").hidden = true;
  mount(card);
}
