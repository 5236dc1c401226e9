"""Unified diffs: parsed from real ``git diff`` output, applied exactly, compared by lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.evaluation import patches
from tests.support.gitrepo import diff_of

BIG = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(400))


def test_every_kind_of_change_round_trips(tmp_path: Path) -> None:
    before = {"a.py": BIG, "gone.py": "x = 1\n", "tail.txt": "one\ntwo"}
    new_big = BIG.replace("return x + 3\n", "return x - 3\n").replace(
        "return x + 390\n", "return x * 390\n"
    )
    after = {"a.py": new_big, "new/b.py": "y = 2\n", "tail.txt": "one\nTWO"}
    diff = diff_of(tmp_path, before, after)
    changes = {c.path: c for c in patches.parse(diff)}
    assert {p: c.kind for p, c in changes.items()} == {
        "a.py": "modify",
        "gone.py": "delete",
        "new/b.py": "add",
        "tail.txt": "modify",
    }
    assert len(changes["a.py"].hunks) == 2
    assert patches.apply(BIG, changes["a.py"]) == new_big
    assert patches.apply("one\ntwo", changes["tail.txt"]) == "one\nTWO"  # no final newline
    assert changes["new/b.py"].new_content == "y = 2\n"
    assert patches.is_applied(new_big, changes["a.py"])
    assert not patches.is_applied(BIG, changes["a.py"])


def test_a_hunk_that_does_not_fit_is_refused_by_number(tmp_path: Path) -> None:
    diff = diff_of(tmp_path, {"a.py": BIG}, {"a.py": BIG.replace("x + 390", "x * 390")})
    (change,) = patches.parse(diff)
    with pytest.raises(patches.PatchError, match="hunk 1"):
        patches.apply(BIG[: len(BIG) // 2], change)  # a view that stops before the hunk


def test_leaving_a_hunk_out_keeps_the_rest_applicable(tmp_path: Path) -> None:
    after = BIG.replace("x + 3\n", "x - 3\n").replace("x + 390\n", "x * 390\n")
    diff = diff_of(tmp_path, {"a.py": BIG}, {"a.py": after})
    partial = patches.without_hunk(diff, 1)
    (change,) = patches.parse(partial)
    assert len(change.hunks) == 1
    assert patches.apply(BIG, change) == BIG.replace("x + 3\n", "x - 3\n")
    assert patches.changed_lines(partial) < patches.changed_lines(diff)
    with pytest.raises(patches.PatchError, match="no hunk 2"):
        patches.without_hunk(diff, 2)
