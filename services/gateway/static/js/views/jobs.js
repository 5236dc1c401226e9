// The jobs list: filters by status and text, newest first, kept live by polling.
import { get } from "../api.js";
import { h, mount, statusBadge, when, empty } from "../ui.js";

const STATUSES = ["", "submitted", "accepted", "planned", "awaiting_plan_approval", "in_progress",
  "in_qa", "publishing", "completed", "rejected", "failed", "cancelled"];

export async function jobsView() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const status = h("select", { id: "filter-status", "aria-label": "Status" },
    STATUSES.map((s) => h("option", { value: s, selected: s === (params.get("status") || "") }, s ? s.replaceAll("_", " ") : "any status")));
  const text = h("input", { id: "filter-text", type: "search", placeholder: "Search titles", value: params.get("q") || "" });
  const body = h("tbody");
  const more = h("button", { class: "secondary", hidden: true }, "Load more");
  let next = null;

  async function load(append = false) {
    const query = new URLSearchParams({ limit: "25" });
    if (status.value) query.set("status", status.value);
    if (text.value.trim()) query.set("q", text.value.trim());
    if (append && next) query.set("before", next);
    const { items, next_before } = await get(`/v1/jobs?${query}`);
    next = next_before;
    more.hidden = !next;
    const rows = items.map((job) => h("tr", { "data-job": job.id },
      h("td", {}, statusBadge(job.status)),
      h("td", {}, h("a", { href: `#/jobs/${job.id}`, class: "title" }, job.title),
        job.failure_reason ? h("div", { class: "muted small" }, job.failure_reason) : null),
      h("td", { class: "mono" }, job.repo_id),
      h("td", {}, job.submitted_by),
      h("td", {}, when(job.updated_at))));
    if (append) body.append(...rows);
    else body.replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 5 }, empty("No jobs match.")))]));
  }

  let typing = null;
  status.addEventListener("change", () => load());
  text.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => load(), 250); });
  more.addEventListener("click", () => load(true));

  mount(
    h("div", { class: "page-head" }, h("h1", {}, "Jobs"),
      h("a", { class: "button primary", href: "#/new" }, "New ticket")),
    h("div", { class: "filters" }, status, text),
    h("table", { class: "table", id: "jobs" },
      h("thead", {}, h("tr", {}, ["Status", "Title", "Repository", "Submitted by", "Updated"].map((c) => h("th", {}, c)))),
      body),
    more,
  );
  await load();
  const timer = setInterval(() => { if (!document.hidden && !next) load().catch(() => {}); }, 3000);
  return () => clearInterval(timer);
}
