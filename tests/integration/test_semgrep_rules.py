"""The shipped semgrep ruleset (shared/qa/semgrep.yml), run by the real semgrep over its samples.

tests/data/semgrep/bad/ marks every line a rule must report with a trailing ``expect: <rule id>``
comment; each file in tests/data/semgrep/good/ names the rules it is the clean counterpart of
with ``good: <rule id>``, and no rule may report anything there. Each rule must report exactly
its marked lines: missing one is a miss, any other line is a false positive.

Semgrep starts slowly, so it runs once per session over the whole folder, the way the QA sandbox
runs it (mcp/sandbox_server.py): ``semgrep scan --config RULES --metrics=off
--disable-version-check --json --quiet .``. It runs in a copy of the samples outside the
repository, because inside a git checkout semgrep's default .semgrepignore skips tests/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.qa.semgrep import blocking, findings

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "shared" / "qa" / "semgrep.yml"
SAMPLES = ROOT / "tests" / "data" / "semgrep"
SEMGREP = ROOT / ".venv-tools" / "bin" / "semgrep"
TIMEOUT = 120

EXPECT = re.compile(r"(?:#|//)\s*expect:\s*(?P<ids>[\w-]+(?:\s*,\s*[\w-]+)*)")
GOOD = re.compile(r"\bgood:\s*(?P<id>[a-z0-9-]+)")
LANGUAGES = {"python", "javascript", "typescript"}

Hit = tuple[str, int]  # (path relative to the samples folder, line)


def _load_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load(RULES.read_text())["rules"]
    assert isinstance(rules, list)
    return rules


RULE_LIST = _load_rules()
RULE_IDS = [str(r["id"]) for r in RULE_LIST]


def _sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file())


def _expected() -> dict[str, set[Hit]]:
    out: dict[str, set[Hit]] = defaultdict(set)
    for path in _sample_files():
        rel = path.relative_to(SAMPLES).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if m := EXPECT.search(line):
                for rule in re.split(r"\s*,\s*", m["ids"]):
                    out[rule].add((rel, number))
    return out


def _good_counterparts() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for path in (SAMPLES / "good").rglob("*"):
        if path.is_file():
            for m in GOOD.finditer(path.read_text()):
                out[m["id"]].add(path.name)
    return out


EXPECTED = _expected()


def _semgrep_missing() -> str | None:
    if SEMGREP.is_file() and os.access(SEMGREP, os.X_OK):
        return None
    return f"semgrep is not installed at {SEMGREP}: run `make install`"


@pytest.fixture(scope="session")
def raw_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """semgrep's JSON output over a copy of tests/data/semgrep, run once per session."""
    if problem := _semgrep_missing():
        pytest.fail(problem, pytrace=False)
    work = tmp_path_factory.mktemp("semgrep") / "samples"
    shutil.copytree(SAMPLES, work)
    cmd = [str(SEMGREP), "scan", "--config", str(RULES), "--metrics=off", "--disable-version-check"]
    proc = subprocess.run(
        [*cmd, "--json", "--quiet", "."],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, f"semgrep exited {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout


@pytest.fixture(scope="session")
def report(raw_report: str) -> dict[str, Any]:
    data = json.loads(raw_report)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def hits(report: dict[str, Any]) -> dict[str, set[Hit]]:
    out: dict[str, set[Hit]] = defaultdict(set)
    for r in report["results"]:
        out[r["check_id"].rsplit(".", 1)[-1]].add((r["path"], r["start"]["line"]))
    return out


def _show(lines: set[Hit]) -> str:
    return ", ".join(f"{p}:{n}" for p, n in sorted(lines))


# ------------------------------------------------------------------------- the ruleset itself


def test_semgrep_is_installed() -> None:
    problem = _semgrep_missing()
    assert problem is None, problem


def test_ruleset_is_well_formed() -> None:
    assert len(RULE_IDS) >= 20
    assert len(set(RULE_IDS)) == len(RULE_IDS), "duplicate rule ids"
    by_language = {"python": 0, "javascript": 0}
    for rule in RULE_LIST:
        rid = rule["id"]
        assert re.fullmatch(r"(python|js)-[a-z0-9]+(-[a-z0-9]+)*", rid), rid
        assert rule["severity"] in {"ERROR", "WARNING"}, rid
        assert set(rule["languages"]) <= LANGUAGES, rid
        assert len(" ".join(rule["message"].split())) >= 100, f"{rid}: explain why and what to do"
        metadata = rule["metadata"]
        assert metadata["category"] in {"security", "correctness"}, rid
        assert str(metadata["cwe"]).startswith("CWE-"), rid
        for language in by_language:
            by_language[language] += language in rule["languages"]
    assert by_language["python"] >= 10
    assert by_language["javascript"] >= 10


def test_every_mark_names_a_rule() -> None:
    unknown = set(EXPECTED) - set(RULE_IDS)
    assert not unknown, f"samples mark unknown rules: {sorted(unknown)}"
    unknown = set(_good_counterparts()) - set(RULE_IDS)
    assert not unknown, f"good samples name unknown rules: {sorted(unknown)}"


def test_good_samples_carry_no_expect_marks() -> None:
    marked = {p for hits in EXPECTED.values() for p, _ in hits if not p.startswith("bad/")}
    assert not marked, f"expect marks outside bad/: {sorted(marked)}"


# ---------------------------------------------------------------------------- the real scan


def test_semgrep_scans_every_sample_cleanly(report: dict[str, Any]) -> None:
    scanned = set(report["paths"]["scanned"])
    samples = {p.relative_to(SAMPLES).as_posix() for p in _sample_files()}
    assert samples - scanned == set(), "samples semgrep did not scan"
    assert report["errors"] == [], "semgrep could not parse a rule or a sample"


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_has_bad_and_good_samples(rule: str) -> None:
    assert EXPECTED.get(rule), f"no line in tests/data/semgrep/bad is marked `expect: {rule}`"
    assert _good_counterparts().get(rule), f"no file in tests/data/semgrep/good says `good: {rule}`"


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_fires_on_its_bad_samples(rule: str, hits: dict[str, set[Hit]]) -> None:
    missed = EXPECTED.get(rule, set()) - hits.get(rule, set())
    assert not missed, f"{rule} missed marked lines: {_show(missed)}"


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_is_silent_on_good_samples(rule: str, hits: dict[str, set[Hit]]) -> None:
    noisy = {h for h in hits.get(rule, set()) if h[0].startswith("good/")}
    assert not noisy, f"{rule} fired on good samples: {_show(noisy)}"


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_reports_only_marked_lines(rule: str, hits: dict[str, set[Hit]]) -> None:
    extra = hits.get(rule, set()) - EXPECTED.get(rule, set())
    assert not extra, f"{rule} fired on unmarked lines: {_show(extra)}"


def test_no_finding_comes_from_an_unknown_rule(hits: dict[str, set[Hit]]) -> None:
    assert set(hits) <= set(RULE_IDS)


# ------------------------------------------------------- shared.qa.semgrep on the real report


def test_findings_reads_the_real_report(raw_report: str, report: dict[str, Any]) -> None:
    lines = findings(raw_report)
    assert len(lines) == len(report["results"])
    assert all("\n" not in line for line in lines)
    for rule, marked in EXPECTED.items():
        for path, number in marked:
            prefix = f"{path}:{number} {rule}: "
            assert any(line.startswith(prefix) for line in lines), prefix


def test_blocking_on_the_real_report(raw_report: str, report: dict[str, Any]) -> None:
    assert blocking(raw_report) is True
    warnings_only = dict(report)
    warnings_only["results"] = [r for r in report["results"] if r["extra"]["severity"] != "ERROR"]
    assert warnings_only["results"], "the samples should produce WARNING findings too"
    assert blocking(json.dumps(warnings_only)) is False
    assert findings(json.dumps(warnings_only))
    clean = dict(report, results=[])
    assert blocking(json.dumps(clean)) is False
    assert findings(json.dumps(clean)) == []
