"""The provider's cost hook: every live model call is reserved before it is made and settled
(or released) after, so that whoever keeps the books can refuse the call that would cross a
budget before it happens, never after.

The provider knows the request and the price table; the ``Meter`` knows the job, the tenant and
the budgets (``shared.crew.metering`` keeps them in PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agents.exceptions import AgentsException

from shared.models.pricing import Cost


@dataclass(frozen=True)
class PlannedCall:
    """A model call about to be made: ``ceiling_usd`` is the most it may cost."""

    call_id: str
    agent_key: str
    role: str
    turn: int
    models: tuple[str, ...]
    input_tokens: int  # an over-count
    max_output_tokens: int
    ceiling_usd: float


@dataclass(frozen=True)
class AnsweredCall:
    call: PlannedCall
    model: str  # the model of the chain that answered
    cost: Cost


class BudgetExceeded(AgentsException):
    """The next model call could cross a budget; it was not made. ``budget`` names it."""

    def __init__(self, budget: str, reason: str) -> None:
        super().__init__(reason)
        self.budget = budget
        self.reason = reason


class Meter(Protocol):
    async def reserve(self, call: PlannedCall) -> None:
        """Hold ``call.ceiling_usd`` against the budgets, or raise ``BudgetExceeded``."""

    async def settle(self, answered: AnsweredCall) -> None:
        """Record what the call cost, in place of its reservation."""

    async def release(self, call: PlannedCall) -> None:
        """Drop the reservation of a call that no model answered (nothing was spent)."""
