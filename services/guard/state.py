"""Process-wide guard state: the signing key, loaded once."""

from __future__ import annotations

from shared.decisions import Signer
from shared.settings import Settings


class GuardState:
    def __init__(self) -> None:
        self._signer: Signer | None = None

    def signer(self, settings: Settings) -> Signer:
        if self._signer is None:
            self._signer = Signer.load_or_create(settings.key_file())
        return self._signer
