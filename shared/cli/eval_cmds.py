"""``devforge eval TASKS.jsonl``: SWE-bench-format tasks through the whole platform, judged with
their hidden tests (``shared.evaluation``).

It uses the stack ``devforge up`` started in the same ``DEVFORGE_HOME``, or starts one and
stops it at the end. ``--model oracle`` has the embedded model server's oracle play a perfect
crew (the platform's own ceiling); ``--model live`` uses the configured models.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shared.cli.context import connect
from shared.embedded import stack
from shared.embedded.stack import Paths, read_stack
from shared.evaluation import harness, report
from shared.evaluation.tasks import Task, TaskError, load
from shared.ids import new_id
from shared.models.config import ModelConfigError, model_config
from shared.settings import Settings, get_settings

err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error stays one line
out = Console(highlight=False)
MODES = ("oracle", "live")


class EvalError(RuntimeError):
    """The run as a whole cannot go on (one readable line)."""


def _done_ids(path: Path) -> set[str]:
    if not path.exists():
        return set()
    ids = set()
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("instance_id"), str):
            ids.add(row["instance_id"])
    return ids


def _rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return [r for r in rows if isinstance(r, dict)]


def _stack_for(settings: Settings, mode: str) -> tuple[bool, str | None]:
    """(whether this command started the stack, the embedded model server's URL)."""
    paths = Paths(settings.home)
    if stack.running_pid(paths) is not None and paths.stack_json.exists():
        info = read_stack(paths)
        url = info.get("model_url")
        if mode == "oracle" and not url:
            raise EvalError(
                "the running stack uses a live model (DEVFORGE_MODEL_BASE_URL was set when it "
                "started); --model oracle needs the embedded model server: devforge down first"
            )
        if mode == "live" and url:
            raise EvalError(
                "the running stack's model is the embedded replay server; for --model live, "
                "devforge down and start again with DEVFORGE_MODEL_BASE_URL set"
            )
        return False, url
    if settings.nats_url or settings.database_url:
        raise EvalError("devforge eval starts an embedded stack: unset DEVFORGE_NATS_URL")
    if mode == "oracle":
        os.environ.pop("DEVFORGE_MODEL_BASE_URL", None)  # the oracle is the model
    else:
        try:
            model_config("backend")
        except ModelConfigError as exc:
            raise EvalError(f"--model live: {exc}") from None
        if not os.environ.get("DEVFORGE_MODEL_BASE_URL"):
            raise EvalError("--model live needs DEVFORGE_MODEL_BASE_URL (an OpenAI-compatible URL)")
    with err.status("starting the DevForge stack (devforge up --detach)"):
        info = stack.detach(settings, {}, timeout=settings.ready_timeout + 60)
    return True, info.get("model_url")


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table("task", "resolved", "class / reason", "turns", "tools", "cost $", "s")
    for r in rows:
        mark = "[green]yes[/green]" if r.get("resolved") else "[red]no[/red]"
        if r.get("error"):
            mark, why = "[yellow]error[/yellow]", str(r["error"])
        else:
            why = f"{r.get('failure_class') or ''}: {r.get('failure_reason') or ''}".strip(": ")
        table.add_row(
            r["instance_id"],
            mark,
            why[:90],
            str(r.get("model_turns", "")),
            str(sum((r.get("tool_calls") or {}).values())),
            f"{r.get('cost_usd', 0.0):.4f}",
            str(r.get("wall_s", "")),
        )
    return table


async def _run_all(
    settings: Settings,
    tasks: list[Task],
    *,
    mode: str,
    repos: Path | None,
    task_timeout: float,
    concurrency: int,
    model_url: str | None,
    write: Any,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    workdir = settings.home.resolve() / "eval" / time.strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True, exist_ok=True)
    run_id = new_id()[-6:]
    gate = asyncio.Semaphore(concurrency)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=False) as bar:
        overall = bar.add_task("tasks", total=len(tasks))
        async with connect(settings) as conn:

            def progress(iid: str, text: str) -> None:
                bar.console.print(f"[dim]{iid}: {text}[/dim]")

            run = harness.Run(conn, mode, workdir, repos, task_timeout, run_id, model_url, progress)

            async def one(task: Task) -> None:
                async with gate:
                    try:
                        row = await harness.run_task(run, task)
                    except (RuntimeError, OSError, ValueError, TimeoutError) as exc:
                        row = {
                            "instance_id": task.instance_id,
                            "repo": task.repo,
                            "resolved": False,
                            "error": f"{type(exc).__name__}: {exc}",
                        }
                rows.append(row)
                write(row)
                word = "resolved" if row.get("resolved") else row.get("error") and "error"
                bar.console.print(f"{task.instance_id}: {word or 'unresolved'}")
                bar.advance(overall)

            await asyncio.gather(*(one(t) for t in tasks))
    return rows


def eval_cmd(
    tasks_file: Path = typer.Argument(..., help="SWE-bench-format tasks, one JSON object a line"),
    repos: Path | None = typer.Option(
        None, "--repos", help="local clones at DIR/<owner>__<name> (else each clone URL)"
    ),
    model: str = typer.Option("oracle", "--model", help="oracle | live"),
    out_file: Path = typer.Option(Path("eval.jsonl"), "--out", help="one JSON line per task"),
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=16),
    instances: str = typer.Option("", "--instances", help="only these instance ids (a,b,...)"),
    task_timeout: float = typer.Option(1800, "--task-timeout", min=10, help="seconds per task"),
    resume: bool = typer.Option(False, "--resume", help="skip tasks already in --out"),
    predictions: Path | None = typer.Option(
        None, "--predictions", help="write SWE-bench predictions (instance_id, model_patch)"
    ),
    report_file: Path | None = typer.Option(
        None, "--report", help="the summary report (default: <out>.report.json)"
    ),
) -> None:
    """Run SWE-bench-format tasks through the platform and judge each PR with its hidden tests."""
    if model not in MODES:
        raise EvalError(f"--model must be one of {', '.join(MODES)}, not {model!r}")
    try:
        loaded = load(tasks_file)
    except TaskError as exc:
        raise EvalError(str(exc)) from None
    wanted = {i.strip() for i in instances.split(",") if i.strip()}
    tasks = [t for t in loaded.tasks if not wanted or t.instance_id in wanted]
    if wanted - {t.instance_id for t in loaded.tasks}:
        missing = ", ".join(sorted(wanted - {t.instance_id for t in loaded.tasks}))
        raise EvalError(f"--instances names tasks not in {tasks_file}: {missing}")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    if resume:
        done = _done_ids(out_file)
        tasks = [t for t in tasks if t.instance_id not in done]
    else:
        out_file.write_text("")
    if repos is not None and not repos.is_dir():
        raise EvalError(f"--repos {repos} is not a directory")
    started = time.monotonic()
    with out_file.open("a") as sink:

        def write(row: dict[str, Any]) -> None:
            sink.write(json.dumps(row, default=str) + "\n")
            sink.flush()

        bad = [] if resume else loaded.errors
        for line, iid, reason in bad:
            if wanted and iid not in wanted:
                continue
            err.print(f"devforge eval: {iid or f'line {line}'}: {reason}")
            write({"instance_id": iid or f"line-{line}", "resolved": False, "error": reason})
        settings = get_settings()
        started_stack = False
        try:
            if tasks:
                started_stack, model_url = _stack_for(settings, model)
                asyncio.run(
                    _run_all(
                        settings,
                        tasks,
                        mode=model,
                        repos=repos.resolve() if repos else None,
                        task_timeout=task_timeout,
                        concurrency=concurrency,
                        model_url=model_url,
                        write=write,
                    )
                )
        finally:
            if started_stack:
                with err.status("stopping the stack this run started"):
                    stack.down(settings)
    rows = _rows(out_file)
    for r in rows:
        if r.get("error") and r["instance_id"] in {t.instance_id for t in tasks}:
            err.print(f"devforge eval: {r['instance_id']}: {r['error']}")
    summary = report.summary(rows, total=len(loaded.tasks) + len(loaded.errors))
    summary["wall_s"] = round(time.monotonic() - started, 1)
    summary["model"] = model
    (report_file or out_file.with_suffix(".report.json")).write_text(
        json.dumps(summary, indent=2) + "\n"
    )
    if predictions is not None:
        with predictions.open("w") as f:
            for r in rows:
                if "model_patch" in r:
                    pred = {
                        "instance_id": r["instance_id"],
                        "model_name_or_path": f"devforge-{model}",
                        "model_patch": r["model_patch"],
                    }
                    f.write(json.dumps(pred) + "\n")
    out.print(_table(rows))
    out.print(
        f"resolved {summary['resolved_instances']} of {summary['total_instances']}"
        f" · unresolved {summary['unresolved_instances']} · errors {summary['error_instances']}"
        f" · {summary['wall_s']} s"
    )
    if summary["error_instances"]:
        sys.exit(1)
