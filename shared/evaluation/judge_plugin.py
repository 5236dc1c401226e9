"""A pytest plugin the judge loads into a task's test run (``-p devforge_judge_report``).

It writes every test's outcome to the JSON file named by ``DEVFORGE_JUDGE_REPORT``:
``{nodeid: {"setup": ..., "call": ..., "teardown": ..., "subtests_failed": n, "xfail": bool}}``.
A parent test whose subtests failed is reported as passed by pytest 9 itself; the judge counts
it failed. Runs under the task repository's own interpreter: plain syntax, standard library.
"""

import json
import os
from typing import Any, Dict  # noqa: F401, UP035 (type comments: any Python runs this)

_RESULTS = {}  # type: Dict[str, Dict[str, Any]]


def pytest_runtest_logreport(report):  # type: (Any) -> None
    entry = _RESULTS.setdefault(report.nodeid, {"subtests_failed": 0, "xfail": False})
    if type(report).__name__ == "SubtestReport":
        if report.failed:
            entry["subtests_failed"] += 1
        return
    entry[report.when] = report.outcome
    if getattr(report, "wasxfail", None) is not None and report.when == "call":
        entry["xfail"] = True


def pytest_sessionfinish(session, exitstatus):  # type: (Any, int) -> None
    path = os.environ.get("DEVFORGE_JUDGE_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(_RESULTS, f)
