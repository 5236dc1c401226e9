"""The crew's roles, each declared once. Pure data.

Everything that names a role derives from ``CREW``: the plan kinds the lead may assign, the
``task.ready.<role>`` subjects and their durables, the engineer processes of the embedded stack
and their Kubernetes Deployments and KEDA objects, the model configuration's roles, each role's
instructions and (through ``shared.tools``) its toolbox. Adding an engineer role is one entry
here plus whatever it needs that no other role has.

Three different things were once all called "roles"; each has its own name now:
- a *crew role* (this module): who does the work in a job (``CREW_ROLES``), of which the
  *engineer roles* take tasks (``ENGINEER_ROLES``);
- a *bus identity* (``shared.natsauth.IDENTITIES``): a service's NATS user and its permissions;
- an *HTTP role* (``services.gateway.auth.HTTP_ROLES``): what a person may do through the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# What a role may do with the worktree; ``shared.tools`` grants each tool to the capabilities
# that need it: read (view, list, search files), search (the code index), edit (write and
# change files), run (commands and tests in the sandbox), check (QA's gates).
Capability = Literal["read", "search", "edit", "run", "check"]
Kind = Literal["lead", "engineer", "qa"]

MIGRATION_DIRS = ("migrations/", "alembic/", "db/migrations/", "migrate/", "sql/")


@dataclass(frozen=True)
class CrewRole:
    name: str
    kind: Kind
    capabilities: frozenset[Capability]
    instructions: str = ""  # an engineer's own instructions (the lead's and QA's: their modules)
    writes_under: tuple[str, ...] = ()  # the only directories it may write; () = anywhere
    max_replicas: int = 10  # the KEDA ceiling of the role's process
    worktree_writable: bool = True  # False: its commands see the worktree read-only

    @property
    def process(self) -> str:
        """The process (and durable, and Deployment) that runs the role."""
        return f"engineer-{self.name}" if self.kind == "engineer" else self.name


_ENGINEER_FINISH = "run the tests before you finish. Answer with a one-paragraph summary."
CREW: tuple[CrewRole, ...] = (
    CrewRole(
        "lead",
        "lead",
        frozenset({"read", "search", "run"}),
        max_replicas=5,
        worktree_writable=False,
    ),
    CrewRole(
        "backend",
        "engineer",
        frozenset({"read", "search", "edit", "run"}),
        instructions="You are a backend engineer. Make the change the task asks for, with tests, "
        "and " + _ENGINEER_FINISH,
    ),
    CrewRole(
        "frontend",
        "engineer",
        frozenset({"read", "search", "edit", "run"}),
        instructions="You are a frontend engineer. Make the change the task asks for, with "
        "tests, and " + _ENGINEER_FINISH,
    ),
    CrewRole(
        "migration",
        "engineer",
        # writes migration files and never applies them: no commands at all
        frozenset({"read", "search", "edit"}),
        instructions="You are the migration engineer. Write migration files only (under a "
        "migrations directory); never apply them to any database. Answer with a summary.",
        writes_under=MIGRATION_DIRS,
        max_replicas=3,
    ),
    CrewRole("qa", "qa", frozenset({"check"})),
)
BY_NAME: dict[str, CrewRole] = {r.name: r for r in CREW}
CREW_ROLES: tuple[str, ...] = tuple(BY_NAME)
ENGINEER_ROLES: tuple[str, ...] = tuple(r.name for r in CREW if r.kind == "engineer")
# The kinds of task a plan may hold: one per engineer role, and tests (``qa``).
PLAN_KINDS: tuple[str, ...] = (*ENGINEER_ROLES, "qa")
