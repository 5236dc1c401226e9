// /github/setup: where GitHub's install flow sends the browser back (the App's setup URL). Takes
// the callback values out of the address bar, posts them to POST /v1/github/setup as the
// signed-in admin, and shows what was connected or why not.
import { loadConfig, currentToken } from "./auth.js";
import { post, ApiError } from "./api.js";
import { h, mount } from "./ui.js";
import { SETUP_FIELDS, savedSetup, saveSetup, clearSetup } from "./github.js";

const back = () => h("p", {}, h("a", { class: "button", href: "/#/repos", id: "back-to-repos" }, "Back to Repositories"));

// The values leave the address bar (and so the history) at once; sessionStorage keeps them
// until the gateway has answered.
function takeFromAddress() {
  const query = new URLSearchParams(location.search);
  if (!SETUP_FIELDS.some((k) => query.has(k))) return null;
  const values = {};
  for (const key of SETUP_FIELDS) if (query.get(key)) values[key] = query.get(key);
  history.replaceState(null, "", location.pathname);
  return values;
}

function card(title, ...body) {
  mount(h("section", { class: "card wide", id: "setup" }, h("h1", {}, title), ...body));
}

function connected(result) {
  const repos = result.repos || [];
  card("GitHub connected",
    h("p", {}, `Installation ${result.installation_id} of ${result.account}: `,
      repos.length ? `${repos.length} repositories connected.` : "no repositories were connected."),
    h("ul", { id: "connected" }, repos.map((r) => h("li", { "data-repo": r.name },
      h("span", { class: "mono" }, r.full_name), " as ", h("strong", {}, r.name)))),
    back());
}

async function start() {
  await loadConfig();
  const fresh = takeFromAddress();
  if (fresh) saveSetup(fresh);
  const values = savedSetup();
  if (!values) {
    card("Nothing to finish", h("p", { class: "muted" },
      "This page finishes connecting GitHub after GitHub's install page sends you back. Start from Repositories."), back());
    return;
  }
  if (!currentToken()) {
    card("Sign in to finish connecting GitHub",
      h("p", { id: "setup-signin" }, "You are not signed in to DevForge. Sign in as the admin who started the connection; ",
        "Repositories then offers to finish it (within ten minutes of starting)."),
      h("p", {}, h("a", { class: "button primary", href: "/#/repos", id: "signin" }, "Sign in")));
    return;
  }
  card("Connecting GitHub…", h("p", { class: "muted" }, "Checking the installation with GitHub."));
  let result;
  try {
    result = await post("/v1/github/setup", values);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;  // signed out; the page reloads
    if (error instanceof ApiError) clearSetup();  // answered: the state is spent or refused
    card("GitHub was not connected",
      h("p", { class: "error", role: "alert", id: "setup-error" }, error.message),
      error instanceof ApiError ? null : h("p", {}, h("button", { type: "button", id: "retry", onclick: () => location.reload() }, "Try again")),
      back());
    return;
  }
  clearSetup();
  if (result.status === "requested") {
    card("Waiting for GitHub", h("p", { id: "setup-requested" }, result.detail), back());
    return;
  }
  connected(result);
}

start();
