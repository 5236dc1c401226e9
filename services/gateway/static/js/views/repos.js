// The tenant's repositories; an admin connects more through GitHub's install flow (the browser
// goes to GitHub's install page and comes back to /github/setup).
import { get, post } from "../api.js";
import { h, mount, empty } from "../ui.js";
import { savedSetup } from "../github.js";

function connectButton(error) {
  const button = h("button", { class: "primary", id: "connect-github", type: "button" }, "Connect GitHub");
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.hidden = true;
    try {
      const { url } = await post("/v1/github/install-url");
      location.assign(url);
    } catch (e) {
      error.textContent = `GitHub cannot be connected: ${e.message}`;
      error.hidden = false;
      button.disabled = false;
    }
  });
  return button;
}

export async function reposView() {
  const [{ items }, me] = await Promise.all([get("/v1/repos"), get("/v1/me")]);
  const admin = me.operator || me.role === "admin";
  const error = h("p", { class: "error card", role: "alert", id: "repos-error", hidden: true });
  const pending = admin && savedSetup();
  mount(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Repositories"),
        h("div", { class: "muted" }, admin
          ? "Connect a GitHub App installation to add its repositories."
          : "An admin of your organisation connects repositories.")),
      admin ? h("div", { class: "actions" }, connectButton(error)) : null),
    pending ? h("p", { class: "banner warn", id: "setup-pending" },
      "GitHub sent you back before you were signed in. ",
      h("a", { href: "/github/setup", id: "finish-setup" }, "Finish connecting GitHub")) : null,
    error,
    items.length ? h("table", { class: "table", id: "repos" },
      h("thead", {}, h("tr", {}, ["Name", "Clone URL", "Default branch"].map((c) => h("th", {}, c)))),
      h("tbody", {}, items.map((r) => h("tr", { "data-repo": r.name },
        h("td", { class: "title" }, r.name),
        h("td", { class: "mono" }, r.url),
        h("td", { class: "mono" }, r.default_branch)))))
      : empty("No repositories yet."));
}
