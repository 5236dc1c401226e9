"""No silent truncation: a long tool output keeps its head and tail with a marker saying how
much was cut and how to see the rest; short outputs and fenced content pass as they are."""

from __future__ import annotations

import re

from shared.crew.steps import OUTPUT_LIMIT, cut


def test_a_long_pytest_output_keeps_its_summary_and_says_what_was_cut() -> None:
    lines = [f"tests/test_m{i}.py::test_case_{i} PASSED" for i in range(800)]
    output = "\n".join(["=== test session starts ===", *lines, "1 failed, 799 passed in 9.1s"])
    assert len(output) > 32_000
    shown = cut(output)
    assert len(shown) <= OUTPUT_LIMIT
    assert shown.startswith("=== test session starts ===")
    assert shown.endswith("1 failed, 799 passed in 9.1s")
    m = re.search(r"\n\[\.\.\. (\d+) characters cut here; view_file with start_line", shown)
    assert m is not None
    marker_end = shown.index("...]\n", m.end()) + len("...]\n")
    head, tail = shown[: m.start()], shown[marker_end:]
    assert output.startswith(head) and output.endswith(tail)
    assert len(head) + int(m.group(1)) + len(tail) == len(output)


def test_short_output_is_untouched() -> None:
    text = "cat <<'EOF'\nmerge <<<<<<< ours\nEOF\n"
    assert cut(text) == text
