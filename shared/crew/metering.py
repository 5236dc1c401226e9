"""The meter of one agent run: the provider's cost hook, kept in the job's ledger.

Before each live model call it reserves the call's ceiling against the job's and the tenant's
budgets (``shared.ledger``), refusing the call that could cross one; after, it records what the
call cost in PostgreSQL and announces it as ``cost.updated``.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import ledger
from shared.messages import CostUpdated
from shared.models.meter import AnsweredCall, BudgetExceeded, PlannedCall
from shared.service import Context


@dataclass
class JobMeter:
    ctx: Context
    job_id: str
    run_key: str
    task_id: str | None = None
    round: int = 1

    async def reserve(self, call: PlannedCall) -> None:
        refused = await ledger.reserve(
            self.ctx.pool,
            self.ctx.service.settings,
            tenant=self.ctx.tenant,
            job_id=self.job_id,
            call_id=call.call_id,
            ceiling_usd=call.ceiling_usd,
            what=f"model call {call.turn} of {self.run_key}",
        )
        if refused is not None:
            self.ctx.log.warning("budget_stop", budget=refused.budget, reason=refused.reason)
            raise BudgetExceeded(refused.budget, refused.reason)

    async def settle(self, answered: AnsweredCall) -> None:
        call, cost = answered.call, answered.cost
        entry = ledger.Entry(
            call_id=call.call_id,
            tenant=self.ctx.tenant,
            job_id=self.job_id,
            agent=self.run_key,
            role=call.role,
            model=answered.model,
            input_tokens=cost.input_tokens,
            output_tokens=cost.output_tokens,
            cost_usd=cost.usd,
            source=cost.source,
            task_id=self.task_id,
            round=self.round,
            turn=call.turn,
        )
        await ledger.settle(self.ctx.pool, entry)
        await self.ctx.bus.publish_job(
            self.ctx.tenant,
            self.job_id,
            CostUpdated(
                agent=self.run_key,
                model=answered.model,
                call_id=call.call_id,
                input_tokens=cost.input_tokens,
                output_tokens=cost.output_tokens,
                cost_usd=cost.usd,
                role=call.role,
                task_id=self.task_id,
                round=self.round,
                turn=call.turn,
                source=cost.source,
            ),
        )

    async def release(self, call: PlannedCall) -> None:
        await ledger.release(self.ctx.pool, call.call_id)
