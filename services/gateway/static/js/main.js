// The dashboard's entry: sign-in, the top bar, and a hash router over the views.
import { loadConfig, finishOidcIfReturning, currentToken, renderSignIn, signOut, isLocal } from "./auth.js";
import { get } from "./api.js";
import { h, mount, flash } from "./ui.js";
import { jobsView } from "./views/jobs.js";
import { jobView } from "./views/job.js";
import { newTicketView } from "./views/new.js";
import { approvalsView } from "./views/approvals.js";
import { prsView, prView } from "./views/prs.js";
import { auditView } from "./views/audit.js";
import { reposView } from "./views/repos.js";

const routes = [
  [/^#\/jobs\/([\w-]+)$/, jobView, "jobs"],
  [/^#\/jobs$/, jobsView, "jobs"],
  [/^#\/new$/, newTicketView, "new"],
  [/^#\/approvals$/, approvalsView, "approvals"],
  [/^#\/prs\/([\w-]+)$/, prView, "prs"],
  [/^#\/prs$/, prsView, "prs"],
  [/^#\/repos$/, reposView, "repos"],
  [/^#\/audit$/, auditView, "audit"],
];

let leave = null;  // what the current view must stop (a live stream, a poll)
export let me = null;

async function route() {
  if (leave) { leave(); leave = null; }
  const hash = location.hash || "#/jobs";
  for (const [pattern, view, nav] of routes) {
    const match = hash.match(pattern);
    if (!match) continue;
    for (const link of document.querySelectorAll("[data-nav]")) {
      link.classList.toggle("active", link.dataset.nav === nav);
    }
    try {
      leave = (await view(...match.slice(1))) || null;
    } catch (error) {
      mount(h("div", { class: "card error" }, error.message));
    }
    document.getElementById("view").focus({ preventScroll: true });
    return;
  }
  location.hash = "#/jobs";
}

async function refreshPending() {
  try {
    const { items } = await get("/v1/approvals?status=pending");
    const badge = document.getElementById("pending-count");
    badge.textContent = String(items.length);
    badge.hidden = items.length === 0;
  } catch { /* the next poll tries again */ }
}

async function start() {
  const config = await loadConfig();
  try {
    await finishOidcIfReturning();
  } catch (error) {
    renderSignIn(error.message);
    return;
  }
  if (!currentToken()) { renderSignIn(); return; }
  try {
    me = await get("/v1/me");
  } catch (error) {
    if (error.status !== 401) renderSignIn(error.message);
    return;
  }
  document.getElementById("topbar").hidden = false;
  document.getElementById("local-banner").hidden = !(isLocal() || me.operator);
  document.getElementById("who").replaceChildren(
    h("span", { class: "tenant", title: "tenant" }, me.tenant),
    h("span", { class: "user", id: "whoami" }, me.subject),
    h("span", { class: "role" }, me.role),
    h("button", { class: "link", id: "signout", onclick: () => signOut() }, "Sign out"),
  );
  if (config.mode === "oidc" && me.operator) flash("Signed in with the operator token", "info");
  window.addEventListener("hashchange", route);
  await route();
  refreshPending();
  setInterval(() => { if (!document.hidden) refreshPending(); }, 5000);
}

start();
