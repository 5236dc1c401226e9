"""The secret scanner side by side with detect-secrets, on one labelled corpus, in one run.

Corpus: every red-team secret format (positives) with its look-alike (negatives), plus about
1 MB of ordinary Python source from the standard library (anything found there is a false
positive). Figures: recall on the positives, false positives on the look-alikes and on the
source, and throughput in MB/s over the source.
"""

from __future__ import annotations

import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from detect_secrets.core.scan import scan_line
from detect_secrets.settings import default_settings

from shared.policy.secrets import scan
from tests.redteam.cases_secrets import CASES

CLEAN_BYTES = 1_000_000


def _clean_corpus() -> str:
    parts, size = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if "test" in path.parts or "idlelib" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.isascii():
            parts.append(text)
            size += len(text)
        if size >= CLEAN_BYTES:
            break
    return "\n".join(parts)


def _ours(text: str) -> int:
    return len(scan(text))


def _detect_secrets(text: str) -> int:
    n = 0
    for line in text.splitlines():
        n += sum(1 for _ in scan_line(line))
    return n


def _measure(count: Callable[[str], int], clean: str) -> dict[str, Any]:
    found = sum(1 for c in CASES if count(c.text) > 0)
    lookalike_fp = sum(1 for c in CASES if count(c.lookalike) > 0)
    t0 = time.process_time()
    clean_fp = count(clean)
    seconds = time.process_time() - t0
    return {
        "recall": round(found / len(CASES), 3),
        "detected": found,
        "false_positives_lookalikes": lookalike_fp,
        "false_positives_in_source": clean_fp,
        "mb_per_s": round(len(clean) / 1e6 / seconds, 2),
    }


def run() -> dict[str, Any]:
    clean = _clean_corpus()
    ours = _measure(_ours, clean)
    with default_settings():
        theirs = _measure(_detect_secrets, clean)
    return {
        "corpus": {
            "secret_formats": len(CASES),
            "lookalikes": len(CASES),
            "clean_source_mb": round(len(clean) / 1e6, 2),
        },
        "devforge": ours,
        "detect_secrets_baseline": theirs,
        "ratio_speed_vs_baseline": round(ours["mb_per_s"] / theirs["mb_per_s"], 1),
    }
