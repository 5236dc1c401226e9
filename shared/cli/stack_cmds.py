"""``devforge up | down | logs | clean``: the embedded stack's life cycle."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import typer
from rich.console import Console

from shared.embedded import stack
from shared.embedded.stack import Paths, StackError
from shared.settings import get_settings

err = Console(stderr=True)


def _parse_scale(values: list[str]) -> dict[str, int]:
    scale: dict[str, int] = {}
    for v in values:
        name, _, n = v.partition("=")
        if not n.isdigit() or int(n) < 1:
            raise StackError(f"--scale takes SERVICE=N with N >= 1, got {v!r}")
        scale[name] = int(n)
    return scale


def up(
    detach: bool = typer.Option(False, "--detach", "-d", help="run in the background"),
    scale: list[str] = typer.Option([], "--scale", help="SERVICE=N processes (repeatable)"),
) -> None:
    """Start the embedded stack (bus, database, every service) and write stack.json."""
    settings = get_settings()
    sc = _parse_scale(scale)
    if detach:
        with err.status("starting the DevForge stack in the background"):
            info = stack.detach(settings, sc, timeout=settings.ready_timeout + 60)
        _summary(info)
        return
    s = stack.Stack(settings, sc, progress=lambda m: err.print(f"[dim]•[/dim] {m}"))
    try:
        info = s.start()
        _summary(info)
        err.print("[dim]running; Ctrl-C or `devforge down` stops the stack[/dim]")
        s.wait()
    finally:
        err.print("[dim]•[/dim] stopping the stack")
        s.stop()


def _summary(info: dict[str, object]) -> None:
    err.print(f"[green]DevForge is up[/green] in {info['started_in_s']} s")
    err.print(f"  gateway   {info['gateway_url']}")
    err.print(f"  services  {info['services']}")
    err.print(f"  stack     {get_settings().home.resolve() / 'stack.json'}")


def down() -> None:
    """Stop everything `devforge up` started."""
    settings = get_settings()
    with err.status("stopping the DevForge stack"):
        was_running = stack.down(settings)
    err.print("stopped" if was_running else "no stack was running")


def logs(
    service: str = typer.Argument(None, help="a service name (default: all)"),
    follow: bool = typer.Option(True, "--follow/--no-follow", "-f"),
    lines: int = typer.Option(20, "--lines", "-n"),
) -> None:
    """Show (and follow) the JSON logs of one or every service."""
    paths = Paths(get_settings().home)
    pattern = f"{service}-*.log" if service else "*.log"
    files = sorted(paths.logs.glob(pattern))
    if not files:
        raise StackError(f"no logs for {service or 'any service'} in {paths.logs}")
    handles = {}
    for f in files:
        text = f.read_text(errors="replace").splitlines()
        for line in text[-lines:]:
            typer.echo(f"{f.stem}: {line}" if len(files) > 1 else line)
        fh = Path.open(f, errors="replace")
        fh.seek(0, 2)
        handles[f] = fh
    while follow:
        for f, fh in handles.items():
            for line in fh.readlines():
                typer.echo(f"{f.stem}: {line.rstrip()}" if len(files) > 1 else line.rstrip())
        time.sleep(0.3)


def clean(yes: bool = typer.Option(False, "--yes", "-y", help="do not ask")) -> None:
    """Delete the data directory (jobs, database, bus storage, logs)."""
    paths = Paths(get_settings().home)
    if stack.running_pid(paths) is not None:
        raise StackError("the stack is running; devforge down first")
    if not paths.home.exists():
        err.print(f"nothing to clean at {paths.home}")
        return
    if not yes and not typer.confirm(f"delete {paths.home} and everything in it?"):
        raise typer.Exit(1)
    shutil.rmtree(paths.home)
    err.print(f"removed {paths.home}")
