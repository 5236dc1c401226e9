"""The pull request's title and body, built from the job's event log. Pure; redacted."""

from __future__ import annotations

from shared.bus.history import Entry, first, last
from shared.policy.secrets import redact


def title(entries: list[Entry]) -> str:
    ticket = first(entries, "ticket.submitted") or {}
    return redact(str(ticket.get("title", "DevForge change")))[:200]


def _approval_line(a: dict[str, object]) -> str:
    what = "plan" if "approver" in a else str(a.get("tool", "step"))
    who = f" by {a['approver']}" if a.get("approver") else ""
    return f"  - {what} (request {a['request_id']}){who}"


def _gate_line(g: dict[str, object]) -> str:
    """A gate, its figures before -> after where it has them (the tests: the base commit's run
    and the change's), and, where it judged the change against the base, what it found."""
    first = str(g.get("detail", "")).split("\n", 1)[0]
    said = first.startswith("diff coverage:") or "failing before the change" in first
    before, after = str(g.get("before") or ""), str(g.get("after") or "")
    figures = f"{before or 'not measured'} -> {after}" if after else ""
    shown = "; ".join(x for x in (figures, first if said else "") if x)
    return f"- {'✅' if g.get('passed') else '❌'} {g.get('name')}" + (
        f": {shown}" if shown else ""
    )


def body(entries: list[Entry], diffstat: str) -> str:
    ticket = first(entries, "ticket.submitted") or {}
    plan = (last(entries, "ticket.planned") or {}).get("plan", {})
    qa = last(entries, "qa.passed") or {}
    denied = [e.body for e in entries if e.event == "step.denied"]
    approvals = [
        e.body
        for e in entries
        if e.event in ("plan.approved", "step.approved") and e.body.get("request_id")
    ]
    cost = sum(float(e.body.get("cost_usd", 0)) for e in entries if e.event == "cost.updated")
    calls = sum(1 for e in entries if e.event == "step.proposed")
    lines = [
        f"DevForge job for ticket: **{ticket.get('title', '')}** (by {ticket.get('submitted_by')})",
        "",
        "## Plan",
        str(plan.get("summary", "")),
        *(f"- [{t['kind']}] {t['title']}" for t in plan.get("tasks", [])),
        "",
        "## Files changed",
        "```",
        diffstat.strip() or "(none)",
        "```",
        "",
        "## Tests and gates",
        *(_gate_line(g) for g in qa.get("gates", [])),
        "",
        "## Safety guard",
        f"- {calls} tool call(s) proposed, {len(denied)} denied",
        *(f"  - denied `{d.get('tool')}`: {'; '.join(d.get('reasons', []))[:200]}" for d in denied),
        f"- {len(approvals)} action(s) approved by a person",
        *(_approval_line(a) for a in approvals),
        "",
        "## Cost",
        f"${cost:.4f}",
    ]
    return redact("\n".join(lines))
