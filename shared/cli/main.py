"""The ``devforge`` command. Services are started as processes by module name, never imported.

Every failure a user can fix is one readable line on stderr and a non-zero exit.
"""

from __future__ import annotations

import os
import sys

import typer

from shared.cli import (
    approval_cmds,
    cost_cmds,
    demo_cmds,
    deploy_cmds,
    eval_cmds,
    index_cmds,
    jobs_cmds,
    model_cmds,
    ops_cmds,
    prs_cmds,
    registry_cmds,
    stack_cmds,
)
from shared.cli.guard_cmds import guard_app, secrets_app
from shared.cli.nats_cmds import nats_app

app = typer.Typer(
    name="devforge",
    help="DevForge: tickets to reviewed pull requests by a crew of AI agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("up")(stack_cmds.up)
app.command("down")(stack_cmds.down)
app.command("logs")(stack_cmds.logs)
app.command("clean")(stack_cmds.clean)
app.command("asyncapi")(ops_cmds.asyncapi_cmd)
app.add_typer(registry_cmds.tenants_app)
app.add_typer(registry_cmds.repos_app)
app.add_typer(jobs_cmds.ticket_app)
app.add_typer(jobs_cmds.jobs_app)
app.add_typer(ops_cmds.dlq_app)
app.add_typer(approval_cmds.approvals_app)
app.command("approve")(approval_cmds.approve)
app.command("refuse")(approval_cmds.refuse)
app.command("model-server")(model_cmds.model_server)
app.command("demo")(demo_cmds.demo)
app.command("eval")(eval_cmds.eval_cmd)
app.add_typer(prs_cmds.prs_app)
app.add_typer(guard_app)
app.add_typer(secrets_app)
app.add_typer(nats_app)
app.command("index")(index_cmds.index)
app.command("search")(index_cmds.search)
app.command("serve")(deploy_cmds.serve)
app.command("setup")(deploy_cmds.setup)
app.command("health")(deploy_cmds.health)
app.add_typer(deploy_cmds.deploy_app)
app.command("cost")(cost_cmds.cost)
app.command("budget")(cost_cmds.budget)


USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, LookupError, RuntimeError, OSError)


def one_line(exc: BaseException) -> str:
    """The error as one line (a message that spans lines is joined, never cut)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def main() -> None:
    try:
        app()
    except USER_ERRORS as exc:
        typer.echo(f"devforge: {one_line(exc)}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("devforge: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug or a server's answer no command expected: still one line
        if os.environ.get("DEVFORGE_DEBUG"):
            raise
        typer.echo(
            f"devforge: unexpected error ({type(exc).__name__}: {one_line(exc)}); "
            "DEVFORGE_DEBUG=1 shows the traceback",
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
