"""The replay server: an OpenAI-compatible HTTP endpoint that answers from recorded transcripts.

``POST /v1/chat/completions`` returns turn ``X-DevForge-Turn`` of
``<root>/<X-DevForge-Transcript>/<X-DevForge-Agent>.json`` (see ``shared.models.transcripts``);
it never makes an answer up: an unknown transcript, agent or turn is a 404 naming what is missing,
a recorded tool call the request does not offer is a 409, ``stream: true`` is a 400.
``GET /v1/models`` lists the model names found in the transcripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from shared.evaluation import oracle as oracle_model
from shared.evaluation.book import AmbiguousTask, OracleBook, Registration
from shared.models import conversation, tokens
from shared.models.transcripts import (
    AGENT_HEADER,
    CREATED,
    TRANSCRIPT_HEADER,
    TURN_HEADER,
    RecordedRequest,
    Transcript,
    TranscriptError,
    Turn,
    check_tools,
    completion_body,
    error_body,
    find_turn,
    not_recorded,
)

REPLAY_MODEL = "devforge-replay"
# ``system_fingerprint`` of every answer, so that the provider knows a test double answered
# (those turns cost nothing and are labelled as such).
REPLAY_FINGERPRINT = "devforge-replay"
ORACLE_FINGERPRINT = "devforge-oracle"
DEFAULT_MAX_TOKENS = 8192


def _request_tools(body: Mapping[str, Any]) -> list[str]:
    names = []
    for tool in body.get("tools") or []:
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict):
            names.append(str(tool["function"].get("name")))
    return names


def _oracle_answer(
    oracle: OracleBook, headers: Mapping[str, str], body: dict[str, Any], model: str
) -> tuple[int, dict[str, Any]] | None:
    """The oracle's answer when the conversation is about a task it holds, else None."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not len(oracle):
        return None
    try:
        task = oracle.match(messages)
    except AmbiguousTask as exc:
        raise TranscriptError(409, str(exc)) from None
    if task is None:
        return None
    agent = headers.get(AGENT_HEADER) or ""
    raw_max = body.get("max_tokens") or body.get("max_completion_tokens") or DEFAULT_MAX_TOKENS
    message = oracle_model.next_message(task, agent, messages, _request_tools(body), int(raw_max))
    turn = Turn(message=message, usage=_estimated(body, message))
    out = completion_body(turn, model, f"chatcmpl-oracle-{task.instance_id}")
    out["system_fingerprint"] = ORACLE_FINGERPRINT
    return 200, out


def check_request(recorded: RecordedRequest, body: dict[str, Any], where: str) -> None:
    """Refuse a request whose conversation is not the one recorded for this turn."""
    if conversation.digest(body) == recorded.digest:
        return
    differs = conversation.where_they_differ(body, recorded.parts)
    raise not_recorded(f"{where}: {differs}")


def answer(
    root: Path,
    headers: Mapping[str, str],
    body: Any,
    oracle: OracleBook | None = None,
    *,
    script: bool = False,
) -> tuple[int, dict[str, Any]]:
    """The status and JSON body for one chat.completions request. ``script``: answer each
    turn as written whatever the request (recording transcripts anew), with token counts
    estimated by ``shared.models.tokens``."""
    if not isinstance(body, dict):
        raise TranscriptError(400, "the request body must be a JSON object")
    if body.get("stream"):
        raise TranscriptError(
            400, "the DevForge replay server does not stream: send the request without stream=true"
        )
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise TranscriptError(400, "the request has no model")
    if oracle is not None:
        answered = _oracle_answer(oracle, headers, body, model)
        if answered is not None:
            return answered
    transcript = headers.get(TRANSCRIPT_HEADER) or ""
    agent = headers.get(AGENT_HEADER) or ""
    raw_turn = headers.get(TURN_HEADER)
    if raw_turn is None or not raw_turn.strip().isdigit():
        raise TranscriptError(400, f"missing or invalid {TURN_HEADER} header: {raw_turn!r}")
    turn = int(raw_turn)
    recorded = find_turn(root, transcript, agent, turn)
    failure = recorded.error_for(model)
    if failure is not None:
        return failure.status, error_body(failure.status, failure.message, "devforge_simulated")
    where = f"transcript {transcript!r} agent {agent!r} turn {turn}"
    if recorded.request is not None and not script:
        check_request(recorded.request, body, where)
    check_tools(recorded, _request_tools(body), where)
    if script:
        recorded = recorded.model_copy(update={"usage": _estimated(body, recorded.message)})
    out = completion_body(recorded, model, f"chatcmpl-{transcript}-{agent}-{turn}")
    out["system_fingerprint"] = REPLAY_FINGERPRINT
    return 200, out


def _estimated(body: dict[str, Any], message: dict[str, Any] | None) -> dict[str, Any]:
    """Token counts of a request and its answer from the offline tokenizer, labelled so."""
    prompt = tokens.count_json(body.get("messages") or [])
    completion = oracle_model.turn_tokens(message or {})
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "estimated": True,
        "tokenizer": tokens.TOKENIZER,
    }


def known_models(root: Path) -> list[str]:
    names = {REPLAY_MODEL}
    for path in sorted(root.glob("*/*.json")):
        try:
            transcript = Transcript.model_validate_json(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        for turn in transcript.turns:
            names.update(n for n in (turn.model, *turn.errors) if n and n != "*")
    return sorted(names)


def create_app(
    root: Path, oracle: OracleBook | None = None, script: bool = False, priced: bool = False
) -> FastAPI:
    """The FastAPI app; ``app.state.log`` keeps the last 1000 requests (key, model, status).

    With an ``oracle`` book, conversations about a task it holds are answered by the oracle
    (``shared.evaluation.oracle``), and ``POST /v1/devforge/oracle`` registers tasks.
    ``priced``: answer without the test doubles' ``system_fingerprint``, as a hosted provider
    would, so that the turns are priced (tests of budgets and costs)."""
    app = FastAPI(title="DevForge model replay server", docs_url=None, redoc_url=None)
    log: deque[dict[str, Any]] = deque(maxlen=1000)
    app.state.log = log
    app.state.root = root
    app.state.oracle = oracle

    @app.post("/v1/devforge/oracle")
    async def register(request: Request) -> JSONResponse:
        if oracle is None:
            return JSONResponse(error_body(404, "this server runs without the oracle"), 404)
        try:
            reg = Registration.model_validate_json(await request.body())
        except ValidationError as exc:
            msg = (
                f"not an oracle registration: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}"
            )
            return JSONResponse(error_body(422, msg), 422)
        return JSONResponse({"registered": oracle.register(reg.tasks), "held": len(oracle)})

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> JSONResponse:
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        try:
            status, payload = answer(root, request.headers, body, oracle, script=script)
            if priced:
                payload.pop("system_fingerprint", None)
        except TranscriptError as exc:
            status, payload = exc.status, error_body(exc.status, exc.message, exc.code)
        log.append(
            {
                "transcript": request.headers.get(TRANSCRIPT_HEADER),
                "agent": request.headers.get(AGENT_HEADER),
                "turn": request.headers.get(TURN_HEADER),
                "model": body.get("model") if isinstance(body, dict) else None,
                "status": status,
            }
        )
        return JSONResponse(payload, status_code=status)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        data = [
            {"id": name, "object": "model", "created": CREATED, "owned_by": "devforge"}
            for name in known_models(root)
        ]
        return {"object": "list", "data": data}

    return app


class _Server(uvicorn.Server):
    """uvicorn, but SIGTERM/SIGINT end the process cleanly instead of being re-raised."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        sigs = (signal.SIGINT, signal.SIGTERM)
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in sigs}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def _make_server(
    root: Path,
    host: str,
    port: int,
    log_level: str,
    app: FastAPI | None = None,
    oracle: OracleBook | None = None,
    script: bool = False,
) -> _Server:
    if not root.is_dir():
        raise FileNotFoundError(f"transcript directory {root} does not exist")
    config = uvicorn.Config(
        app or create_app(root, oracle, script),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
    )
    return _Server(config)


def _base_url(server: uvicorn.Server) -> str:
    sock = server.servers[0].sockets[0]
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}/v1"


async def _serve(server: _Server, on_ready: Callable[[str], None] | None) -> None:
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started and on_ready is not None:
        on_ready(_base_url(server))
    await task


def serve(
    root: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
    oracle: OracleBook | None = None,
    script: bool = False,
) -> None:
    """Serve ``root`` until SIGTERM/SIGINT; ``on_ready`` gets ``http://HOST:PORT/v1`` once bound."""
    server = _make_server(root, host, port, log_level, oracle=oracle, script=script)
    asyncio.run(_serve(server, on_ready))


class BackgroundServer:
    """The replay server on a thread of its own, for tests and the demo::

    with BackgroundServer(root) as srv:
        srv.url       # http://127.0.0.1:PORT/v1
        srv.app.state.log
    """

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        oracle: OracleBook | None = None,
        script: bool = False,
        priced: bool = False,
    ) -> None:
        self.app = create_app(root, oracle, script, priced)
        self._server = _make_server(root, host, port, "warning", self.app)
        self.url = ""
        self._thread = threading.Thread(target=self._run, name="devforge-replay", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the replay server did not start")
            time.sleep(0.01)
        self.url = _base_url(self._server)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
