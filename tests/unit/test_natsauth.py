"""The bus security model as data: credentials, derived permissions, rendered configs, the CLI."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared import subjects as s
from shared.bus.topology import CONSUMERS
from shared.cli.nats_cmds import nats_app
from shared.ids import InvalidId
from shared.natsauth import (
    GUARD_DECISIONS,
    IDENTITIES,
    OPERATOR,
    SERVICE_IDENTITIES,
    TENANT_JS_API_PREFIX,
    Credentials,
    Permissions,
    config_users,
    inbox_prefix,
    is_inbox_subject,
    password_env_var,
    reload_server,
    render_config,
    render_production_config,
    service_permissions,
    tenant_permissions,
    tenant_user,
    url_with_user,
)
from shared.natsauth.model import (
    ADMIN_API,
    JS_API,
    streams_for,
    subjects_overlap,
    tenant_link,
)
from tests.support.natsproc import nats_server_binary

JOB = "01j00000000000000000000000"


def _all_permissions() -> dict[str, Permissions]:
    perms = {i: service_permissions(i) for i in SERVICE_IDENTITIES}
    perms[tenant_user("acme")] = tenant_permissions("acme")
    return perms


def _allows(p: Permissions, subject: str) -> bool:
    """nats-server's rule: some allow entry matches and no deny entry does."""
    return any(_matches(a, subject) for a in p.pub_allow) and not any(
        _matches(d, subject) for d in p.pub_deny
    )


def _matches(pattern: str, subject: str) -> bool:
    pt, st = pattern.split("."), subject.split(".")
    for i, tok in enumerate(pt):
        if tok == ">":
            return len(st) > i
        if i >= len(st) or (tok != "*" and tok != st[i]):
            return False
    return len(pt) == len(st)


# ---- credentials ------------------------------------------------------------------------------


def test_credentials_created_with_strong_private_passwords(tmp_path: Path) -> None:
    path = tmp_path / "nats" / "credentials.json"
    creds = Credentials.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    passwords = [creds.password(i) for i in (OPERATOR, *SERVICE_IDENTITIES)]
    assert len(set(passwords)) == len(passwords)
    assert all(len(p) >= 40 for p in passwords)
    assert creds.tenants() == []
    again = Credentials.load_or_create(path)
    assert [again.password(i) for i in (OPERATOR, *SERVICE_IDENTITIES)] == passwords
    assert creds.password(OPERATOR) not in repr(creds)


def test_tenant_users_are_created_lazily_and_persisted(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    a = Credentials.load_or_create(path)
    b = Credentials.load_or_create(path)
    with pytest.raises(KeyError):
        a.password("tenant-acme")
    user, password = a.ensure_tenant("acme")
    assert user == "tenant-acme" and a.password(user) == password
    assert a.ensure_tenant("acme") == (user, password)
    b.ensure_tenant("beta")  # a second writer keeps the first one's tenant
    assert b.tenants() == ["acme", "beta"]
    a.reload()
    assert a.tenants() == ["acme", "beta"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for bad in ("Acme", "rpc", "a.b", "*", ""):
        with pytest.raises(InvalidId):
            a.ensure_tenant(bad)


def test_credentials_file_gains_new_identities_and_rejects_garbage(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    creds = Credentials.load_or_create(path)
    data = json.loads(path.read_text())
    del data["identities"]["watchdog"]
    path.write_text(json.dumps(data))
    upgraded = Credentials.load_or_create(path)
    assert upgraded.password("guard") == creds.password("guard")
    assert upgraded.password("watchdog") != creds.password("watchdog")
    path.write_text(json.dumps({"version": 99}))
    with pytest.raises(ValueError):
        Credentials.load_or_create(path)
    path.write_text(json.dumps({"version": 1, "identities": {"guard": 5}, "tenants": {}}))
    with pytest.raises(ValueError):
        Credentials.load_or_create(path)


# ---- the permission model -------------------------------------------------------------------


def test_every_durable_belongs_to_exactly_one_identity() -> None:
    owners = [d for r in IDENTITIES.values() for d in r.durables]
    assert sorted(owners) == sorted(CONSUMERS)


@pytest.mark.parametrize("user", [i for i in SERVICE_IDENTITIES if i != "guard"] + ["tenant-acme"])
def test_only_the_guard_may_publish_decisions(user: str) -> None:
    perms = _all_permissions()[user]
    for event in GUARD_DECISIONS:
        subject = s.job("acme", JOB, event)
        assert not _allows(perms, subject)
        assert any(_matches(d, subject) for d in perms.pub_deny)
    guard = service_permissions("guard")
    assert all(_allows(guard, s.job("acme", JOB, e)) for e in GUARD_DECISIONS)


def test_agents_publish_their_events_and_step_proposed() -> None:
    for identity in ("lead", "engineers", "qa"):
        perms = service_permissions(identity)
        for event in ("model.turn", "step.proposed", "step.result", "cost.updated", "job.failed"):
            assert _allows(perms, s.job("acme", JOB, event)), (identity, event)
        assert _allows(perms, s.dlq(identity))
        assert not _allows(perms, s.job("acme", JOB, "approval.granted"))
    assert _allows(service_permissions("engineers"), s.task_ready("acme", JOB, "backend"))
    assert not _allows(service_permissions("lead"), s.task_ready("acme", JOB, "backend"))
    assert _allows(service_permissions("publisher"), s.repo("acme", "r", "pushed"))
    assert not _allows(service_permissions("publisher"), s.repo("acme", "r", "connected"))
    watchdog = service_permissions("watchdog")
    assert _allows(watchdog, s.job("acme", JOB, "job.failed"))
    assert not _allows(watchdog, s.job("acme", JOB, "job.cancelled"))


@pytest.mark.parametrize("user", [*SERVICE_IDENTITIES, "tenant-acme"])
def test_no_stream_management_for_anyone_but_the_operator(user: str) -> None:
    perms = _all_permissions()[user]
    for prefix in (JS_API, TENANT_JS_API_PREFIX):
        for op in ADMIN_API:
            subject = f"{prefix}.{op.replace('>', s.JOBS_STREAM)}"
            assert not _allows(perms, subject), subject
        for durable in CONSUMERS:
            for stream in (s.JOBS_STREAM, s.REGISTRY_STREAM):
                take_over = f"{prefix}.CONSUMER.CREATE.{stream}.{durable}.devforge.acme.>"
                assert not _allows(perms, take_over)
                bare = f"{prefix}.CONSUMER.CREATE.{stream}.x"
                assert not _allows(perms, bare) and not _allows(
                    perms, f"{prefix}.CONSUMER.CREATE.{stream}"
                )


def test_services_touch_only_their_own_durables() -> None:
    for identity, role in IDENTITIES.items():
        perms = service_permissions(identity)
        for durable, spec in CONSUMERS.items():
            mine = durable in role.durables
            for subject in (
                f"{JS_API}.CONSUMER.INFO.{spec.stream}.{durable}",
                f"{JS_API}.CONSUMER.MSG.NEXT.{spec.stream}.{durable}",
                f"$JS.ACK.{spec.stream}.{durable}.1.2.3.4.5",
            ):
                assert _allows(perms, subject) == mine, (identity, subject)


def test_ephemeral_consumers_only_on_readable_subjects() -> None:
    lead = service_permissions("lead")
    create = f"{JS_API}.CONSUMER.CREATE.{s.JOBS_STREAM}.n1."
    assert _allows(lead, create + s.job("acme", JOB, "step.approved"))
    assert _allows(lead, create + s.job("acme", JOB, "step.approved").rsplit(".", 1)[0] + ".*")
    assert _allows(lead, create + s.job_events("acme", JOB))  # rebuilds the job from its log
    assert not _allows(service_permissions("indexer"), create + s.job_events("acme", JOB))
    gateway = service_permissions("gateway")
    assert _allows(gateway, create + s.job_events("beta", JOB))
    assert not _allows(gateway, f"{JS_API}.CONSUMER.CREATE.{s.DLQ_STREAM}.n1.devforge.dlq.*")
    projector = service_permissions("projector")
    assert not _allows(projector, create + s.job_events("acme", JOB))
    for identity in SERVICE_IDENTITIES:
        for entry in service_permissions(identity).pub_allow:
            if ".CONSUMER.CREATE." in entry:
                assert len(entry.split(".")) >= 7  # the filter is always part of the subject


def test_inboxes_and_responses() -> None:
    users = [*SERVICE_IDENTITIES, tenant_user("acme"), tenant_user("guard")]
    assert len({inbox_prefix(u) for u in users}) == len(users)
    for user, perms in _all_permissions().items():
        inboxes = [a for a in perms.sub_allow if a.startswith("_INBOX")]
        assert inboxes == [f"{inbox_prefix(user)}.>"]
        assert "_INBOX.>" in perms.sub_deny
        assert perms.allow_responses == (user in ("guard", "indexer"))
    assert s.GUARD_MINT in [x for x in service_permissions("gateway").pub_allow]
    assert not _allows(service_permissions("lead"), s.GUARD_MINT)
    assert _allows(service_permissions("lead"), s.INDEXER_SEARCH)


def test_tenant_permissions_name_only_its_own_subjects() -> None:
    perms = tenant_permissions("acme")
    own = s.tenant_all("acme")
    for entry in (*perms.sub_allow, *perms.pub_allow):
        assert not subjects_overlap(entry, s.tenant_all("beta")), entry
    assert perms.sub_allow[0] == own
    assert _allows(perms, s.job("acme", JOB, "approval.granted"))
    assert _allows(perms, s.job("acme", JOB, "approval.refused"))
    assert not _allows(perms, s.job("beta", JOB, "approval.granted"))
    assert not _allows(perms, s.job("acme", JOB, "ticket.submitted"))
    link = tenant_link("acme")
    assert own in link.streams
    assert all(
        local.startswith((TENANT_JS_API_PREFIX, "$JS.FC.", "devforge.acme."))
        for _, local in link.services
    )


def test_subject_overlap_and_streams() -> None:
    assert subjects_overlap("devforge.*.job.>", "devforge.acme.job.x.step.approved")
    assert subjects_overlap("devforge.acme.>", "devforge.*.job.>")
    assert not subjects_overlap("devforge.acme.>", "devforge.beta.>")
    assert not subjects_overlap("a.b", "a.b.c")
    assert not subjects_overlap("a.>", "a")
    assert streams_for(s.tenant_all("acme")) == (s.JOBS_STREAM, s.REGISTRY_STREAM)
    assert streams_for(s.ANY_TENANT_CREATED) == (s.REGISTRY_STREAM,)
    assert streams_for(s.GUARD_MINT) == ()


# ---- rendered configurations ------------------------------------------------------------------


def _server_accepts(
    config: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [nats_server_binary(), "-t", "-c", str(config)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=30,
    )


def test_rendered_config_is_valid(tmp_path: Path) -> None:
    creds = Credentials.load_or_create(tmp_path / "c.json")
    plain = render_config(host="127.0.0.1", port=4222, store_dir=tmp_path / "js", creds=creds)
    assert "sync_interval" not in plain and "exports" not in plain
    creds.ensure_tenant("acme")
    text = render_config(
        host="127.0.0.1", port=-1, store_dir=tmp_path / "js", creds=creds, sync_always=True
    )
    assert "sync_interval: always" in text and "TENANT_acme" in text
    assert json.dumps(creds.password("tenant-acme")) in text
    conf = tmp_path / "nats.conf"
    conf.write_text(text)
    done = _server_accepts(conf)
    assert done.returncode == 0, done.stderr + done.stdout


def test_production_config_holds_no_secrets(tmp_path: Path) -> None:
    text = render_production_config(
        host="0.0.0.0", port=4222, store_dir=Path("/data/jetstream"), tenants=["acme", "acme"]
    )
    assert "sync_interval: always" in text
    users = config_users(["acme"])
    assert users[0] == OPERATOR and users[-1] == "tenant-acme"
    for user in users:
        assert f"password: ${password_env_var(user)}\n" in text
    assert password_env_var("tenant-acme-corp") == "DEVFORGE_NATS_PASSWORD_TENANT_ACME_CORP"
    conf = tmp_path / "nats.conf"
    conf.write_text(text.replace("/data/jetstream", str(tmp_path / "js")))
    assert _server_accepts(conf).returncode != 0  # variables missing: refuses to start
    env = {password_env_var(u): f"pw-{i}" for i, u in enumerate(users)}
    done = _server_accepts(conf, env)
    assert done.returncode == 0, done.stderr + done.stdout
    with pytest.raises(ValueError):
        render_production_config(
            host="h", port=1, store_dir=Path("/x"), tenants=[], tls_cert=Path("c.pem")
        )


def test_url_with_user_and_inbox_check() -> None:
    assert (
        url_with_user("nats://127.0.0.1:4222", "guard", "p-w_1")
        == "nats://guard:p-w_1@127.0.0.1:4222"
    )
    assert url_with_user("nats://old:x@h:1", "u", "a/b") == "nats://u:a%2Fb@h:1"
    assert url_with_user("[::1]:4222", "u", "p") == "nats://u:p@[::1]:4222"
    assert is_inbox_subject("_INBOX_gateway.abc.def")
    assert is_inbox_subject("_INBOX.abc")
    for bad in (None, "", "devforge.acme.job.x.step.approved", "$JS.ACK.X.y.1", "x._INBOX"):
        assert not is_inbox_subject(bad)
    with pytest.raises(ValueError):
        reload_server(0)


# ---- CLI --------------------------------------------------------------------------------------


def test_cli_creds_without_a_stack_fails_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVFORGE_HOME", str(tmp_path))
    result = CliRunner().invoke(nats_app, ["creds", "--tenant", "acme"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "no stack is running" in result.stderr
    dead = subprocess.Popen(["true"])
    dead.wait()
    stack = {"nats_host": "127.0.0.1", "nats_port": 1, "nats_pid": dead.pid, "nats_config": "x"}
    (tmp_path / "stack.json").write_text(json.dumps(stack))
    result = CliRunner().invoke(nats_app, ["creds", "--tenant", "acme"])
    assert result.exit_code == 1 and "is gone" in result.stderr
    result = CliRunner().invoke(nats_app, ["creds", "--tenant", "Not A Slug"])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1


def test_cli_config_writes_production_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVFORGE_HOME", str(tmp_path / "home"))
    out = tmp_path / "deploy" / "nats" / "nats.conf"
    env_file = tmp_path / "nats.env"
    result = CliRunner().invoke(
        nats_app,
        ["config", "--out", str(out), "--tenant", "acme", "--env-file", str(env_file)],
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "sync_interval: always" in text and "port: 4222" in text and '"/data/jetstream"' in text
    assert password_env_var("tenant-acme") in result.stdout
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    lines = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    creds = Credentials.load_or_create(tmp_path / "home" / "nats" / "credentials.json")
    assert lines[password_env_var("guard")] == creds.password("guard")
    assert lines[password_env_var("tenant-acme")] == creds.password("tenant-acme")
    for value in lines.values():
        assert value not in text
    bad = CliRunner().invoke(nats_app, ["config", "--out", str(out), "--tenant", "rpc"])
    assert bad.exit_code == 1
