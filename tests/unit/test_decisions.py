from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.decisions import DecisionInvalid, Signer, Verifier, args_sha256


def _check(v: Verifier, sig: Any, claimed_hash: str | None = None, **over: Any) -> None:
    call: dict[str, Any] = {
        "tenant": "acme",
        "job_id": "j1",
        "step_id": "s1",
        "tool": "run_command",
        "arguments": {"command": "pytest -q"},
    }
    call.update(over)
    v.verify(
        **call,
        signature=sig.signature,
        signed_key_id=sig.key_id,
        signed_args_sha256=claimed_hash or sig.args_sha256,
    )


def test_a_signed_call_verifies_and_any_change_does_not(tmp_path: Path) -> None:
    signer = Signer.load_or_create(tmp_path / "guard.key")
    assert (tmp_path / "guard.key").stat().st_mode & 0o777 == 0o600
    v = Verifier([signer.public_key])
    sig = signer.sign("acme", "j1", "s1", "run_command", {"command": "pytest -q"})
    _check(v, sig)
    for change in (
        {"tenant": "globex"},
        {"job_id": "j2"},
        {"step_id": "s2"},
        {"tool": "write_file"},
    ):
        with pytest.raises(DecisionInvalid, match="signature"):
            _check(v, sig, **change)
    with pytest.raises(DecisionInvalid, match="arguments differ"):
        _check(v, sig, arguments={"command": "rm -rf /"})
    forged_hash = args_sha256({"command": "rm -rf /"})
    with pytest.raises(DecisionInvalid, match="signature"):
        _check(v, sig, arguments={"command": "rm -rf /"}, claimed_hash=forged_hash)


def test_key_order_does_not_matter_but_values_do() -> None:
    assert args_sha256({"a": 1, "b": [1, 2]}) == args_sha256({"b": [1, 2], "a": 1})
    assert args_sha256({"a": 1}) != args_sha256({"a": "1"})


def test_another_key_is_refused(tmp_path: Path) -> None:
    mine, theirs = Signer.load_or_create(tmp_path / "a"), Signer.load_or_create(tmp_path / "b")
    sig = theirs.sign("acme", "j1", "s1", "run_command", {"command": "pytest -q"})
    with pytest.raises(DecisionInvalid, match="unknown signing key"):
        _check(Verifier([mine.public_key]), sig)


def test_the_key_persists(tmp_path: Path) -> None:
    a = Signer.load_or_create(tmp_path / "k")
    b = Signer.load_or_create(tmp_path / "k")
    assert a.public_key == b.public_key and a.key_id == b.key_id
