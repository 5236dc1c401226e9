// The tenant's audit log: every guard decision, approval and operator action.
import { get } from "../api.js";
import { h, mount, when, empty, verdictBadge } from "../ui.js";

export async function auditView() {
  const { items } = await get("/v1/audit?limit=300");
  mount(h("h1", {}, "Audit log"),
    items.length ? h("table", { class: "table", id: "audit" },
      h("thead", {}, h("tr", {}, ["When", "Actor", "Action", "Verdict", "Rules", "Job", "Reason"].map((c) => h("th", {}, c)))),
      h("tbody", {}, items.map((a) => h("tr", {},
        h("td", {}, when(a.at)),
        h("td", {}, a.actor),
        h("td", { class: "mono" }, a.action),
        h("td", {}, a.verdict ? verdictBadge(a.verdict) : ""),
        h("td", {}, (a.rule_ids || []).map((r) => h("code", {}, r))),
        h("td", {}, a.job_id ? h("a", { href: `#/jobs/${a.job_id}`, class: "mono" }, a.job_id) : ""),
        h("td", { class: "small" }, a.reason || "")))))
      : empty("Nothing recorded yet."));
}
