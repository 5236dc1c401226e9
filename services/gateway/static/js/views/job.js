// One job: its header (status, cost, pull request) and a live timeline from the job's event
// stream — the plan, each step with the guard's verdict and its result, QA's gates, the PR.
import { get, post, follow } from "../api.js";
import { h, mount, fill, flash, statusBadge, verdictBadge, when, money } from "../ui.js";

const QUIET = new Set(["model.turn", "cost.updated", "step.result", "step.approved", "step.denied", "step.awaiting_approval"]);

function argsSummary(tool, args) {
  if (!args) return "";
  if (args.command) return args.command;
  if (args.path) return args.path;
  if (args.query) return `"${args.query}"`;
  const text = JSON.stringify(args);
  return text === "{}" ? "" : text;
}

function item(kind, title, ...details) {
  return h("li", { class: `tl-item ${kind}`, "data-event": kind },
    h("div", { class: "tl-dot" }),
    h("div", { class: "tl-body" }, h("div", { class: "tl-title" }, title), ...details));
}

function gateList(gates) {
  return h("ul", { class: "gates" }, gates.map((g) => h("li", { class: g.passed ? "pass" : "fail", "data-gate": g.name },
    h("span", { class: "mark" }, g.passed ? "✓" : "✗"), h("strong", {}, g.name),
    g.detail ? h("details", { class: "gate-detail" }, h("summary", {}, g.passed ? "detail" : "why"), h("pre", {}, g.detail)) : null)));
}

export async function jobView(jobId) {
  const header = h("div", { class: "job-head card" });
  const timeline = h("ol", { class: "timeline", id: "timeline" });
  const live = h("span", { class: "live", id: "live-state" }, "connecting…");
  const steps = new Map();
  let turns = 0;
  let cost = 0;
  const sources = new Set();  // where the dollars came from; "replay" / "oracle": test doubles, $0
  let refreshing = null;

  function costText(usd) {
    const free = [...sources].filter((s) => s === "replay" || s === "oracle");
    return free.length ? `${money(usd)} (${free.join(", ")})` : money(usd);
  }

  async function refreshHeader() {
    const job = await get(`/v1/jobs/${jobId}`);
    const actions = [];
    if (!["completed", "rejected", "failed", "cancelled"].includes(job.status)) {
      actions.push(h("button", { class: "secondary", id: "cancel-job", onclick: async () => {
        try { await post(`/v1/jobs/${jobId}/cancel`); flash("Cancelling…", "info"); } catch (e) { flash(e.message); }
      } }, "Cancel"));
    } else if (job.status !== "completed") {
      actions.push(h("button", { class: "secondary", id: "retry-job", onclick: async () => {
        try { const r = await post(`/v1/jobs/${jobId}/retry`); location.hash = `#/jobs/${r.job_id}`; } catch (e) { flash(e.message); }
      } }, "Retry"));
    }
    const pr = job.pull_request;
    fill(header,
      h("div", { class: "page-head" },
        h("div", {}, h("h1", { id: "job-title" }, job.title),
          h("div", { class: "muted" }, h("span", { class: "mono" }, job.id), " · ", job.repo_id, " · by ", job.submitted_by, " · ", when(job.created_at))),
        h("div", { class: "actions" }, ...actions)),
      h("dl", { class: "facts" },
        h("div", {}, h("dt", {}, "Status"), h("dd", { id: "job-status" }, statusBadge(job.status))),
        h("div", {}, h("dt", {}, "Cost"), h("dd", { id: "job-cost" }, costText(Math.max(job.cost_usd, cost)))),
        h("div", {}, h("dt", {}, "Model turns"), h("dd", {}, String(turns))),
        h("div", {}, h("dt", {}, "Pull request"), h("dd", { id: "job-pr" },
          pr ? h("a", { href: `#/prs/${job.id}`, id: "pr-link" }, `#${pr.number} ${pr.branch} → ${pr.base}`) : h("span", { class: "muted" }, "not yet"))),
        job.trace_url ? h("div", {}, h("dt", {}, "Trace"), h("dd", {}, h("a", { href: job.trace_url, target: "_blank", rel: "noopener" }, "open trace"))) : null),
      job.failure_reason ? h("p", { class: "error", id: "failure" }, job.failure_reason) : null,
      job.awaiting_request ? h("p", { class: "banner warn" }, "Waiting for approval — ", h("a", { href: "#/approvals" }, "review it on the approvals page")) : null,
    );
  }

  function scheduleRefresh() {
    clearTimeout(refreshing);
    refreshing = setTimeout(() => refreshHeader().catch(() => {}), 150);
  }

  function stepCard(body) {
    const verdict = h("span", { class: "verdict" }, verdictBadge("pending"));
    const output = h("div", { class: "step-output" });
    const node = item("step", h("span", {}, h("span", { class: "agent" }, body.agent), " ", h("code", {}, body.tool), " ", verdict),
      h("div", { class: "mono small args" }, argsSummary(body.tool, body.arguments)), output);
    node.dataset.step = body.step_id;
    steps.set(body.step_id, { verdict, output, node });
    return node;
  }

  function onEvent(event, body) {
    const name = event;
    if (name === "model.turn") { turns += 1; }
    if (name === "cost.updated") {
      cost += Number(body.cost_usd || 0);
      if (body.source) sources.add(body.source);
      const dd = document.getElementById("job-cost");
      if (dd) dd.textContent = costText(cost);
    }
    let node = null;
    switch (name) {
      case "ticket.submitted":
        node = item(name, `Ticket submitted by ${body.submitted_by}`, h("div", { class: "muted pre" }, body.body || ""));
        break;
      case "ticket.accepted": node = item(name, "Ticket accepted by the guard"); break;
      case "ticket.rejected": node = item(`${name} bad`, `Ticket rejected: ${body.reason}`); break;
      case "ticket.planned":
        node = item(name, `Plan (attempt ${body.attempt || 1})`,
          body.plan.summary ? h("p", {}, body.plan.summary) : null,
          h("ol", { class: "tasks" }, body.plan.tasks.map((t) => h("li", {}, h("span", { class: `kind ${t.kind}` }, t.kind), " ", t.title))));
        break;
      case "plan.awaiting_approval":
        node = item(`${name} warn`, "Plan waits for approval", h("ul", {}, body.reasons.map((r) => h("li", {}, r))),
          h("a", { href: "#/approvals", class: "button secondary small" }, "Review"));
        break;
      case "plan.approved": node = item(`${name} ok`, body.approver ? `Plan approved by ${body.approver}` : "Plan approved by policy"); break;
      case "plan.denied": node = item(`${name} bad`, "Plan denied", h("ul", {}, body.reasons.map((r) => h("li", {}, r)))); break;
      case "task.started": node = item(name, `${body.role} engineer started task ${body.task_id} (round ${body.round})`); break;
      case "task.done": node = item(`${name} ok`, `${body.role} engineer finished task ${body.task_id}`, body.summary ? h("p", { class: "muted" }, body.summary) : null); break;
      case "step.proposed": node = stepCard(body); break;
      case "step.approved": case "step.denied": case "step.awaiting_approval": {
        const step = steps.get(body.step_id);
        const verdict = name === "step.approved" ? "approved" : name === "step.denied" ? "denied" : "awaiting";
        if (step) {
          step.verdict.replaceChildren(verdictBadge(verdict));
          if (body.reasons && name !== "step.approved") step.output.append(h("div", { class: "reasons" }, body.reasons.join("; ")));
        }
        break;
      }
      case "step.result": {
        const step = steps.get(body.step_id);
        if (step) {
          step.node.classList.add(body.ok ? "ok" : "bad");
          step.output.append(h("details", {}, h("summary", {}, body.ok ? "output" : `failed${body.exit_code !== null && body.exit_code !== undefined ? ` (exit ${body.exit_code})` : ""}`),
            h("pre", {}, body.output || "(no output)")));
        }
        break;
      }
      case "work.done": node = item(`${name} ok`, `Work committed on ${body.branch}`, h("span", { class: "mono small" }, body.commit.slice(0, 12))); break;
      case "qa.passed": node = item(`${name} ok`, `QA passed (round ${body.round})`, gateList(body.gates)); break;
      case "qa.failed": node = item(`${name} bad`, `QA failed (round ${body.round})`, gateList(body.gates), h("ul", {}, body.findings.map((f) => h("li", {}, f)))); break;
      case "pr.opened":
        node = item(`${name} ok`, "Pull request opened", h("a", { href: `#/prs/${jobId}`, id: "timeline-pr" }, `#${body.number} ${body.branch} → ${body.base}`));
        break;
      case "approval.granted": node = item(`${name} ok`, "An approval was delivered; the guard checks it"); break;
      case "approval.refused": node = item(`${name} bad`, "A refusal was delivered", body.reason ? h("p", {}, body.reason) : null); break;
      case "job.failed": node = item(`${name} bad`, `Job failed in ${body.service}`, h("p", {}, body.reason)); break;
      case "job.cancelled": node = item(`${name} muted`, `Cancelled by ${body.by}`, body.reason ? h("p", {}, body.reason) : null); break;
      default:
        if (name.startsWith("task.ready")) {
          node = item("task.ready", `Task ${body.task.id} ready for the ${body.task.kind} engineer (round ${body.round || 1})`, h("p", { class: "muted" }, body.task.title));
        } else if (!QUIET.has(name)) {
          node = item(name, name);
        }
    }
    if (node) {
      node.append(h("div", { class: "tl-when" }, when(body.at)));
      timeline.append(node);
    }
    if (name !== "model.turn") scheduleRefresh();
  }

  mount(header, h("div", { class: "section-head" }, h("h2", {}, "Timeline"), live), timeline);
  // A job submitted a moment ago may not be recorded yet: wait for it briefly.
  for (let attempt = 0; ; attempt += 1) {
    try {
      await refreshHeader();
      break;
    } catch (error) {
      if (error.status !== 404 || attempt >= 20) throw error;
      header.replaceChildren(h("p", { class: "muted" }, "Recording the job…"));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const stop = follow(`/v1/jobs/${jobId}/events`, onEvent, {
    onState: (state) => { live.textContent = state; live.dataset.state = state; },
    onEnd: scheduleRefresh,
  });
  return () => { stop(); clearTimeout(refreshing); };
}
