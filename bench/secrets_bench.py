"""The secret scanner side by side with detect-secrets, on one labelled corpus, in one run.

Corpus: every red-team secret format (positives) with its look-alike (negatives), plus about
1 MB of ordinary Python source from the standard library (anything found there is a false
positive). Figures: recall on the positives, false positives on the look-alikes and on the
source, and throughput in MB/s over the source.
"""

from __future__ import annotations

import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from detect_secrets import SecretsCollection
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


class _DetectSecrets:
    """detect-secrets as its users run it: files scanned by ``SecretsCollection`` with the
    default plugins and filters (one file per sample, named like source code)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.n = 0

    def __call__(self, text: str) -> int:
        self.n += 1
        path = self.tmp / f"sample_{self.n}.py"
        path.write_text(text)
        collection = SecretsCollection()
        collection.scan_file(str(path))
        return sum(len(v) for v in collection.data.values())


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
    with tempfile.TemporaryDirectory(prefix="dfb-ds-") as tmp, default_settings():
        theirs = _measure(_DetectSecrets(Path(tmp)), clean)
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
