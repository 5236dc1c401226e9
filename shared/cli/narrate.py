"""Job events as sentences a newcomer can follow (used by ``devforge demo`` and ``jobs tail``).
Pure: an event name and body in, one line of rich markup (or None) out."""

from __future__ import annotations

from typing import Any


def _step(body: dict[str, Any]) -> str:
    return f"[bold]{body.get('tool', '?')}[/bold]"


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut between words and marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(",;:") + "…"


def _decide(body: dict[str, Any], tenant: str | None) -> str:
    """The request id and the exact command that approves it."""
    request = body.get("request_id")
    if not request:
        return ""
    where = f" --tenant {tenant}" if tenant else ""
    return f"; request {request}: approve with `devforge approve {request}{where}`"


def line(event: str, body: dict[str, Any], tenant: str | None = None) -> str | None:
    """One line for one job event; None for events not worth a line. ``tenant`` goes into the
    commands a line suggests."""
    base = "task.ready" if event.startswith("task.ready.") else event
    if base == "ticket.submitted":
        return (
            f"📨 ticket submitted by {body.get('submitted_by')}: [bold]{body.get('title')}[/bold]"
        )
    if base == "ticket.accepted":
        return "🛡  guard: the ticket carries no secrets — accepted"
    if base == "ticket.rejected":
        return f"⛔ guard rejected the ticket: {body.get('reason')}"
    if base == "ticket.planned":
        tasks = body.get("plan", {}).get("tasks", [])
        listed = "; ".join(f"{t['kind']}: {t['title']}" for t in tasks)
        return f"🧭 lead planned {len(tasks)} task(s) — {listed}"
    if base == "plan.awaiting_approval":
        rules = ", ".join(body.get("rule_ids", []))
        return f"✋ guard: the plan needs a person's approval ({rules}){_decide(body, tenant)}"
    if base == "plan.approved":
        who = body.get("approver")
        return "✅ plan approved" + (f" by {who}" if who else " by the guard's rules")
    if base == "plan.denied":
        return f"⛔ plan denied: {'; '.join(body.get('reasons', []))}"
    if base == "task.started":
        return f"🔧 {body.get('role')} engineer started task {body.get('task_id')}"
    if base == "task.done":
        summary = clip(str(body.get("summary", "")), 160)
        return f"   {body.get('role')} engineer finished {body.get('task_id')}: {summary}"
    if base == "step.approved":
        return f"   ✔ guard approved {_step(body)} (signed)"
    if base == "step.denied":
        return f"   ✘ guard denied {_step(body)}: {'; '.join(body.get('reasons', []))}"
    if base == "step.awaiting_approval":
        return (
            f"   ✋ {_step(body)} waits for approval: {body.get('summary')}{_decide(body, tenant)}"
        )
    if base == "step.result":
        status = "ok" if body.get("ok") else "failed"
        return f"     {_step(body)} → {status}"
    if base == "work.done":
        return f"📦 work done on {body.get('branch')} at {str(body.get('commit'))[:10]}"
    if base in ("qa.passed", "qa.failed"):
        gates = ", ".join(
            f"{g['name']} {'✓' if g['passed'] else '✗'}" for g in body.get("gates", [])
        )
        word = "passed" if base == "qa.passed" else "failed"
        return f"🧪 QA round {body.get('round')} {word}: {gates}"
    if base == "pr.opened":
        return f"🚀 pull request #{body.get('number')} opened: {body.get('url')}"
    if base == "job.failed":
        return f"💥 job failed ({body.get('service')}): {body.get('reason')}"
    if base == "job.cancelled":
        return f"🛑 job cancelled by {body.get('by')}"
    return None
