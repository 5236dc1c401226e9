from __future__ import annotations

from pathlib import Path

from shared.settings import Settings

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [
        f"DEVFORGE_{n.upper()}"
        for n in Settings.model_fields
        if f"`DEVFORGE_{n.upper()}`" not in README
    ]
    assert not missing, f"README lacks {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    head = README[: README.index("## Using it")]
    assert "make demo" in head and "make test" in head
