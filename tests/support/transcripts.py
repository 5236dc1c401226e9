"""``make transcripts``: record the scripted transcripts again through the real provider path.

A transcript directory with a ``<name>.scenario.json`` beside it is a script: its turns say what
the model answers. For each, a whole stack (``devforge up``) runs the scenario's ticket on the demo
repository with the models pointed at the replay server in script mode (each turn answered as
written, token counts estimated by ``shared.models.tokens``) and the provider's recorder on;
what the recorder wrote (each turn's request digest and estimated usage) is merged back into the
script. The replay server then answers each turn only for the request recorded with it, so a
change to the prompts, the tool schemas or the tools' output makes a test fail with a reason
that names this command.

    python -m tests.support.transcripts [NAME ...]      # default: every scenario
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import string
import sys
import tempfile
from pathlib import Path
from typing import Any

from shared import jobs, registry
from shared import subjects as s
from shared.cli.context import connect
from shared.embedded import stack
from shared.evaluation import harness
from shared.ids import new_job_id
from shared.messages import TicketSubmitted
from shared.models.server import BackgroundServer
from shared.models.transcripts import Transcript, load_transcript, save_transcript
from shared.natsauth import subscribe_ordered
from shared.settings import Settings
from shared.workspace import git

ROOT = Path(__file__).resolve().parents[2]
HOMES = (ROOT / "demo" / "transcripts", ROOT / "tests" / "data" / "transcripts")


def scenarios() -> dict[str, Path]:
    """Transcript directories that have a ``<name>.scenario.json`` beside them."""
    found = {}
    for home in HOMES:
        for p in sorted(home.glob("*.scenario.json")):
            name = p.name.removesuffix(".scenario.json")
            found[name] = home / name
    return found


def _repo(where: Path, scenario: dict[str, Any]) -> Path:
    """The demo repository, with the scenario's lines appended to its files (``{aws_key}``:
    a fresh credential-shaped string, which tools show redacted) and its symlinks committed
    (targets under an ``outside`` directory beside the repository, made of ``outside``)."""
    append: dict[str, str] = scenario.get("append", {})
    shutil.copytree(ROOT / "demo" / "repo", where)
    git(where, "init", "--quiet", "-b", "main")
    git(where, "add", "-A")
    git(where, "commit", "--quiet", "-m", "shop 1.4.0")
    outside = where.parent / "outside"
    for name, text in scenario.get("outside", {}).items():
        (outside / name).parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            (outside / name).mkdir(exist_ok=True)
        else:
            (outside / name).write_text(text)
    for link, target in scenario.get("symlinks", {}).items():
        (where / link).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(outside / target, where / link)
    if scenario.get("symlinks"):
        git(where, "add", "-A")
        git(where, "commit", "--quiet", "-m", "links")
    if append:
        key = "AKIA" + "".join(
            secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)
        )
        for name, text in append.items():
            path = where / name
            path.write_text(path.read_text() + text.replace("{aws_key}", key))
        git(where, "commit", "--quiet", "-am", "scenario")
    return where


async def _run(settings: Settings, scenario: dict[str, Any], repo: Path) -> str:
    async with connect(settings) as conn:
        await registry.add_tenant(conn.pool, conn.bus, "rec")
        await registry.add_repo(conn.pool, conn.bus, "rec", "shop", f"file://{repo}", "main")
        job = new_job_id()
        t = scenario["ticket"]
        await conn.bus.publish_job(
            "rec",
            job,
            TicketSubmitted(repo="shop", title=t["title"], body=t["body"], submitted_by="rec"),
        )
        stop = scenario.get("cancel_when_approved")
        if stop or scenario.get("approve") is False:  # as the test: nobody approves, or a cancel
            return await _watch(conn, job, stop)
        run = harness.Run(conn, "live", settings.home, None, 600.0, "rec")
        trace = await harness.follow(run, "rec", job, scenario.get("name", "scenario"))
        return trace.end


async def _watch(conn: Any, job: str, tool: str | None) -> str:
    """Follow the job to its end, approving nothing; cancel it once the guard approves a call
    of ``tool`` (when given)."""
    seen: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    prefix = len(s.job_events("rec", job)) - 1

    async def on_msg(msg: Any) -> None:
        await seen.put((msg.subject[prefix:], json.loads(msg.data)))

    sub = await subscribe_ordered(
        conn.bus.js, s.job_events("rec", job), stream=s.JOBS_STREAM, cb=on_msg
    )
    try:
        while True:
            event, body = await asyncio.wait_for(seen.get(), 600)
            if tool and event == "step.approved" and body.get("tool") == tool:
                await jobs.cancel(conn.pool, conn.bus, "rec", job, by="recorder")
                return f"cancelled at {tool}"
            if event in harness.ENDS:
                return event
    finally:
        await sub.unsubscribe()


def merge(script: Transcript, recorded: Transcript) -> tuple[Transcript, int]:
    """The script with each recorded turn's request and usage; (merged, turns recorded)."""
    turns = []
    n = 0
    for i, written in enumerate(script.turns):
        got = recorded.turns[i] if i < len(recorded.turns) else None
        if got is not None and got.request is not None:
            n += 1
            turns.append(written.model_copy(update={"request": got.request, "usage": got.usage}))
        else:
            turns.append(written)
    return Transcript(agent=script.agent, turns=turns), n


def load_scenario(folder: Path) -> dict[str, Any]:
    """``{"ticket": {"title", "body"} or "ticket_file": <path from the project root>,
    "gates": "tests,...", "append": {file: text}, "outside": {name: text, dir/: ""},
    "symlinks": {link: target in outside}, "approval_timeout": s, "approve": false,
    "cancel_when_approved": tool, "env": {DEVFORGE_SETTING: value}}``: a test replaying the
    transcript runs with the same settings"""
    scenario: dict[str, Any] = json.loads(
        folder.with_name(f"{folder.name}.scenario.json").read_text()
    )
    if "ticket_file" in scenario:
        scenario["ticket"] = json.loads((ROOT / scenario["ticket_file"]).read_text())
    return scenario


def record(name: str, folder: Path) -> None:
    scenario = load_scenario(folder)
    with tempfile.TemporaryDirectory(prefix="df-rec-") as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "recorded"
        env = {
            "DEVFORGE_HOME": str(home),
            "DEVFORGE_MODEL_TRANSCRIPT": name,
            "DEVFORGE_MODEL_RECORD_DIR": str(out),
            "DEVFORGE_MODEL_RECORD_NAME": name,
            "DEVFORGE_QA_GATES": scenario.get("gates", "tests,coverage,lint,semgrep,secrets"),
            "DEVFORGE_APPROVAL_TIMEOUT": str(scenario.get("approval_timeout", 3600)),
            **scenario.get("env", {}),
        }
        saved = dict(os.environ)  # one scenario's settings never reach the next
        with BackgroundServer(folder.parent, script=True) as server:
            os.environ.update({**env, "DEVFORGE_MODEL_BASE_URL": server.url})
            settings = Settings(home=home)
            stack.detach(settings, {}, timeout=settings.ready_timeout + 60)
            try:
                repo = _repo(Path(tmp) / "shop", scenario)
                end = asyncio.run(_run(settings, scenario, repo))
            finally:
                stack.down(settings)
                os.environ.clear()
                os.environ.update(saved)
        print(f"{name}: the job ended with {end}")
        for path in sorted((out / name).glob("*.json")):
            target = folder / path.name
            if not target.exists():
                print(f"  {path.name}: recorded, but no such script (left out)")
                continue
            merged, n = merge(load_transcript(target), load_transcript(path))
            save_transcript(target, merged)
            print(f"  {path.name}: {n} of {len(merged.turns)} turn(s) recorded")


def main(argv: list[str]) -> int:
    known = scenarios()
    names = argv or sorted(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"no <name>.scenario.json for: {', '.join(unknown)} (known: {', '.join(known)})")
        return 2
    for name in names:
        record(name, known[name])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
