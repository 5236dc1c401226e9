"""The indexer service: a durable consumer of ``repo.connected`` / ``repo.pushed`` and the
search endpoint ``devforge.rpc.indexer.search``."""

from __future__ import annotations

from services.indexer import handlers
from shared import subjects
from shared.service import Service


def build() -> Service:
    return Service(
        name="indexer",
        durable="indexer",
        handlers={"repo.connected": handlers.on_repo, "repo.pushed": handlers.on_repo},
        rpc={subjects.INDEXER_SEARCH: handlers.search},
    )
