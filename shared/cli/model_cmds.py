"""``devforge model-server``: the local OpenAI-compatible replay server, with the oracle."""

from __future__ import annotations

from pathlib import Path

import typer

from shared.evaluation.book import OracleBook
from shared.models.server import serve


def model_server(
    transcript_dir: Path = typer.Argument(
        ..., exists=True, file_okay=False, dir_okay=True, help="directory of recorded transcripts"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="bind address"),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="port; 0 picks a free one"),
    oracle_tasks: Path | None = typer.Option(
        None,
        "--oracle",
        exists=True,
        dir_okay=False,
        help="a SWE-bench-format tasks file: conversations about its tasks get the oracle",
    ),
) -> None:
    """Serve recorded model transcripts as an OpenAI-compatible API until SIGTERM or Ctrl-C.

    Prints the base URL (``http://HOST:PORT/v1``) on stdout once listening; point agents at it
    with DEVFORGE_MODEL_BASE_URL and pick the transcript with DEVFORGE_MODEL_TRANSCRIPT. The
    oracle (a perfect crew for tasks whose fix is known) answers conversations about the tasks
    of ``--oracle`` and of those ``devforge eval`` registers (``POST /v1/devforge/oracle``).
    """
    book = OracleBook()
    if oracle_tasks is not None:
        book.load_file(oracle_tasks)
    serve(transcript_dir, host, port, on_ready=typer.echo, oracle=book)
