"""Plan a ticket: the lead agent reads the code (read-only tools) and answers with a TaskPlan,
checked by rules; one repair round, then the job fails with the reason."""

from __future__ import annotations

from pydantic import ValidationError

from shared.crew import jobwork
from shared.crew.agent import AgentFailed, AgentStop, run_agent
from shared.crew.conduct import plan_problems
from shared.crew.prompts import LEAD, ticket_text
from shared.messages import TaskPlan, TicketAccepted, TicketPlanned
from shared.service import Context


async def on_accepted(ctx: Context, msg: TicketAccepted) -> None:
    work = await jobwork.load(ctx)
    request = ticket_text(work.ticket)
    problem = ""
    for attempt in (1, 2):
        prompt = (
            request if not problem else f"{request}\n\nYour previous plan was invalid: {problem}"
        )
        try:
            out = await run_agent(
                ctx,
                work,
                role="lead",
                run_key=f"lead-a{attempt}",
                instructions=LEAD,
                input_text=prompt,
                output_type=TaskPlan,
            )
            plan = out if isinstance(out, TaskPlan) else TaskPlan.model_validate_json(str(out))
        except AgentStop as exc:  # a budget, or a model that cannot answer: no retry helps
            await ctx.fail_job(str(exc))
            return
        except (ValidationError, AgentFailed) as exc:
            problem = str(exc).splitlines()[0][:500]
            ctx.log.warning("plan_attempt_failed", attempt=attempt, error=problem)
            continue
        problems = plan_problems(plan)
        if not problems:
            await ctx.publish(TicketPlanned(plan=plan, attempt=attempt))
            return
        problem = "; ".join(problems)
    await ctx.fail_job(f"the lead produced no valid plan: {problem}")
