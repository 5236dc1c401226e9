from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from shared.cli.nats_cmds import nats_app

COMMITTED = Path(__file__).parents[2] / "deploy" / "nats" / "nats.conf"


def test_committed_production_config_is_current(tmp_path: Path) -> None:
    out = tmp_path / "nats.conf"
    result = CliRunner().invoke(nats_app, ["config", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == COMMITTED.read_text(), "stale: run `devforge nats config`"
    assert "sync_interval: always" in COMMITTED.read_text()
    assert "password: $DEVFORGE_NATS_PASSWORD_" in COMMITTED.read_text()
