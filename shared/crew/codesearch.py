"""``search_code`` for the agents: the indexer's hits for the job's tenant and repository,
rendered as text for the model (the tool gateway fences it as untrusted)."""

from __future__ import annotations

from collections.abc import Sequence

from nats.errors import Error as NatsError

from shared.bus.client import Bus
from shared.crew.toolbox import Search
from shared.messages import SearchHit

MAX_K = 20


def render(hits: Sequence[SearchHit]) -> str:
    """Pure: each hit as ``path:start-end symbol (score)`` and its code."""
    if not hits:
        return "no matching code in the index"
    parts = []
    for h in hits:
        where = f"{h.path}:{h.start_line}-{h.end_line}"
        parts.append(f"{where} {h.symbol or ''} (score {h.score:.4f})".replace("  ", " "))
        parts.append(h.text)
        parts.append("")
    return "\n".join(parts).rstrip()


def searcher(bus: Bus, tenant: str, repo: str | None) -> Search:
    async def search(query: str, k: int) -> str:
        try:
            reply = await bus.search(tenant, query, k=min(max(k, 1), MAX_K), repo=repo)
        except (NatsError, TimeoutError) as exc:
            raise RuntimeError(f"the indexer did not answer ({type(exc).__name__})") from None
        if reply.error:
            raise RuntimeError(reply.error)
        return render(reply.hits)

    return search
