"""``devforge model-server``: the local OpenAI-compatible replay server."""

from __future__ import annotations

from pathlib import Path

import typer

from shared.models.server import serve


def model_server(
    transcript_dir: Path = typer.Argument(
        ..., exists=True, file_okay=False, dir_okay=True, help="directory of recorded transcripts"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="bind address"),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="port; 0 picks a free one"),
) -> None:
    """Serve recorded model transcripts as an OpenAI-compatible API until SIGTERM or Ctrl-C.

    Prints the base URL (``http://HOST:PORT/v1``) on stdout once listening; point agents at it
    with DEVFORGE_MODEL_BASE_URL and pick the transcript with DEVFORGE_MODEL_TRANSCRIPT.
    """
    serve(transcript_dir, host, port, on_ready=typer.echo)
