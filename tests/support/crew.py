"""A whole crew in one test process: every service in-process on the real bus and database,
each under its own NATS identity, models served by the replay server over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from services.engineers.app import build as build_engineers
from services.gateway.projector import build as build_projector
from services.guard.app import build as build_guard
from services.lead.app import build as build_lead
from services.publisher.app import build as build_publisher
from services.qa.app import build as build_qa
from shared.decisions import Signer
from shared.messages import TicketSubmitted
from shared.models.server import BackgroundServer
from shared.service import Service
from tests.support.running import running, settings

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo"
# The demo's ticket: the only one the demo transcript was recorded for (the replay server
# answers nothing else).
DEMO_TICKET: dict[str, str] = json.loads((DEMO / "ticket.json").read_text())


def demo_ticket(repo: str, submitted_by: str = "ann") -> TicketSubmitted:
    return TicketSubmitted(
        repo=repo, title=DEMO_TICKET["title"], body=DEMO_TICKET["body"], submitted_by=submitted_by
    )


def demo_repo(where: Path) -> Path:
    """A fresh git repository with the demo service (default branch ``main``)."""
    shutil.copytree(DEMO / "repo", where)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "shop 1.4"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-C", str(where), *args],
            check=True,
        )
    return where


@contextmanager
def replay_server(root: Path = DEMO / "transcripts", *, priced: bool = False) -> Iterator[str]:
    """The replay server as the provider's endpoint; ``priced``: its answers are priced as a
    hosted provider's would be (no test-double fingerprint)."""
    srv = BackgroundServer(root, priced=priced).start()
    old = os.environ.get("DEVFORGE_MODEL_BASE_URL")
    os.environ["DEVFORGE_MODEL_BASE_URL"] = srv.url  # the provider's endpoint setting
    try:
        yield srv.url
    finally:
        if old is None:
            os.environ.pop("DEVFORGE_MODEL_BASE_URL", None)
        else:
            os.environ["DEVFORGE_MODEL_BASE_URL"] = old
        srv.stop()


@asynccontextmanager
async def crew(
    nats_as: Callable[[str], str],
    pg_url: str,
    home: Path,
    *,
    transcript: str = "demo",
    gates: str = "tests,coverage,lint,semgrep,secrets",
    roles: tuple[str, ...] = ("backend", "migration"),
    **extra: Any,
) -> AsyncIterator[dict[str, Service]]:
    key = Signer.load_or_create(home / "keys" / "guard.ed25519").public_key
    common = {"model_transcript": transcript, "guard_public_key": key, "qa_gates": gates, **extra}
    services: dict[str, tuple[Service, str]] = {
        "guard": (build_guard(), "guard"),
        "projector": (build_projector(), "projector"),
        "lead": (build_lead(), "lead"),
        "conductor": (build_engineers(["--conductor"]), "engineers"),
        **{f"engineer-{r}": (build_engineers(["--role", r]), "engineers") for r in roles},
        "qa": (build_qa(), "qa"),
        "publisher": (build_publisher(), "publisher"),
    }
    async with AsyncExitStack() as stack:
        for svc, identity in services.values():
            svc.settings = settings(nats_as(identity), pg_url, home, **common)
            await stack.enter_async_context(running(svc))
        yield {name: svc for name, (svc, _) in services.items()}
