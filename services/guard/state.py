"""Process-wide guard state: signing keys, loaded once per key file."""

from __future__ import annotations

from pathlib import Path

from shared.decisions import Signer
from shared.settings import Settings


class GuardState:
    def __init__(self) -> None:
        self._signers: dict[Path, Signer] = {}

    def signer(self, settings: Settings) -> Signer:
        path = settings.key_file()  # as configured: no path resolution on every decision
        if path not in self._signers:
            self._signers[path] = Signer.load_or_create(path.resolve())
        return self._signers[path]
