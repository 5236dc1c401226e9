// Approval requests: the pending ones with approve / refuse, then the decided ones.
import { get, post } from "../api.js";
import { h, mount, flash, when, empty, verdictBadge } from "../ui.js";

function card(a, reload) {
  const reason = h("input", { type: "text", placeholder: "Reason (for a refusal)", class: "reason", "aria-label": "Reason" });
  const decide = (verb) => async (event) => {
    const buttons = event.target.closest(".approval").querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await post(`/v1/approvals/${a.request_id}/${verb}`, verb === "refuse" ? { reason: reason.value } : undefined);
      flash(verb === "approve" ? "Approved: the guard releases it." : "Refused.", "ok");
      await reload();
    } catch (e) {
      flash(e.message);
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  return h("article", { class: "card approval", "data-request": a.request_id, "data-kind": a.kind },
    h("div", { class: "page-head" },
      h("div", {}, h("h3", {}, a.kind === "plan" ? "Plan" : `Step: ${a.tool}`, " · ", h("a", { href: `#/jobs/${a.job_id}` }, a.title)),
        h("div", { class: "muted small" }, "submitted by ", a.submitted_by, " · requested ", when(a.created_at), " · expires ", when(a.expires_at))),
      verdictBadge(a.status === "pending" ? "needs_approval" : a.status)),
    h("p", { class: "pre" }, a.summary || ""),
    a.rule_ids && a.rule_ids.length ? h("div", { class: "rules" }, a.rule_ids.map((r) => h("code", {}, r))) : null,
    a.status === "pending"
      ? h("div", { class: "actions" }, reason,
        h("button", { class: "danger", onclick: decide("refuse"), "data-action": "refuse" }, "Refuse"),
        h("button", { class: "primary", onclick: decide("approve"), "data-action": "approve" }, "Approve"))
      : h("p", { class: "muted small" }, `${a.status} by ${a.approver || "—"}${a.break_glass ? " (break-glass)" : ""}`,
        a.decided_at ? [" · ", when(a.decided_at)] : null, a.reason ? ` — ${a.reason}` : ""),
  );
}

export async function approvalsView() {
  const pending = h("section", { id: "pending" });
  const decided = h("section", { id: "decided" });
  async function reload() {
    const { items } = await get("/v1/approvals?limit=100");
    const open = items.filter((a) => a.status === "pending");
    const done = items.filter((a) => a.status !== "pending");
    pending.replaceChildren(...(open.length ? open.map((a) => card(a, reload)) : [empty("Nothing waits for a decision.")]));
    decided.replaceChildren(...(done.length ? done.map((a) => card(a, reload)) : [empty("No decisions yet.")]));
  }
  mount(h("h1", {}, "Approvals"), h("h2", {}, "Waiting"), pending, h("h2", {}, "Decided"), decided);
  await reload();
  const timer = setInterval(() => {
    const typing = document.activeElement && document.activeElement.classList.contains("reason");
    if (!document.hidden && !typing) reload().catch(() => {});
  }, 4000);
  return () => clearInterval(timer);
}
