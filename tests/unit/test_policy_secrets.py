from __future__ import annotations

import pytest

from shared.policy.secrets import Finding, redact, scan

STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcQx9aB2"
GHP = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"
OPENAI = "sk-proj-" + "Ab3De5Gh7Jk9Mn1Pq3St5Vw7Yz0Xc2Vb4Nm6"


def test_stripe_contract_example() -> None:
    text = f'token = "{STRIPE}"\n'
    [f] = scan(text)
    assert f == Finding(
        kind="stripe_secret_key", line=1, start=9, end=9 + len(STRIPE), redacted="sk_live_***"
    )
    assert "Qx9aB2" not in f.model_dump_json()


def test_positions_are_per_line_and_exact() -> None:
    text = f"# config\nname = 'x'\n  gh: {GHP}  # token\nopenai = '{OPENAI}'\n"
    found = scan(text)
    assert [(f.kind, f.line) for f in found] == [("github_token", 3), ("openai_api_key", 4)]
    lines = text.splitlines()
    for f in found:
        assert lines[f.line - 1][f.start : f.end] in (GHP, OPENAI)


def test_positions_with_non_ascii_text() -> None:
    text = f"# café ünïcödé ✓\nkey = {GHP}\n"
    [f] = scan(text)
    assert text.splitlines()[1][f.start : f.end] == GHP


def test_multiline_private_key_is_clipped_to_first_line_and_fully_redacted() -> None:
    body = "\n".join(["MIIEowIBAAKCAQEAx" + "Q" * 47 for _ in range(4)] + ["tailPIECEzz=="])
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    text = f"x = 1\n{block}\ny = 2\n"
    [f] = scan(text)
    assert (f.kind, f.line, f.start, f.end) == ("private_key", 2, 0, 31)
    out = redact(text)
    assert out == "x = 1\n[REDACTED:private_key]\ny = 2\n"
    assert "tailPIECE" not in f.redacted


def test_redaction_leaves_no_part_of_any_secret() -> None:
    text = f"a={STRIPE}\nb='{GHP}'\nurl=postgres://svc:Zq8mK2pLx9Vw@db/app\n"
    out = redact(text)
    for secret in (STRIPE, GHP, "Zq8mK2pLx9Vw"):
        for i in range(0, len(secret) - 5):
            assert secret[i : i + 6] not in out
    assert "postgres://svc:[REDACTED:url_credentials]@db/app" in out
    assert scan(out) == []
    assert redact(out) == out


@pytest.mark.parametrize(
    "text",
    [
        "AKIAIOSFODNN7EXAMPLE",
        'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
        'password = "changeme"',
        "password: xxx",
        'api_key = "<your-key>"',
        "token=${TOKEN}",
        'secret = "dummy-secret-value"',
        'password = "test1234"',
        'API_KEY="example-key-123"',
        "password = get_password()",
        "token = request.headers['x']",
        'if password == "abc123xyz":',
        "max_tokens = 1000",
        'token_type = "Bearer"',
        "postgres://user:password@localhost/db",
        "https://user:${PASS}@host/x",
        'ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"',
        'integrity = "sha512-' + "Zm9vYmFy" * 10 + '"',
        "commit = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'",
        "password: {{ vault_password }}",
        "private_key: PKCS7PrivateKeyTypes,",
    ],
)
def test_placeholders_and_lookalikes_do_not_fire(text: str) -> None:
    assert scan(text) == [], scan(text)


def test_specific_detector_wins_over_generic_assignment() -> None:
    [f] = scan(f'api_key = "{OPENAI}"')
    assert f.kind == "openai_api_key"
    assert f.redacted == "sk-proj-***"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('DB_PASSWORD="Tr0ub4dor&3"', "password_assignment"),
        ("export DB_PASS=hunter2hunter2", "password_assignment"),
        ("password: Sup3rS3cret!", "password_assignment"),
        ('client_secret = "q8Yw2Lm9Zx4Kp7Rt"', "secret_assignment"),
        ("SERVICE_TOKEN=Zk39dLw8QpX2mN7v", "secret_assignment"),
        ('{"apiKey": "k7Pq2Wz9Lm4Xr8Tn5Vb3"}', "secret_assignment"),
        ("Authorization: Bearer Zk39dLw8QpX2mN7vR4t6Y1u0", "bearer_token"),
        ('seed = "Zk39dLw8QpX2mN7vR4t6Y1u0Qa"', "high_entropy_string"),
    ],
)
def test_assignment_and_entropy_detectors(text: str, kind: str) -> None:
    assert [f.kind for f in scan(text)] == [kind]


def test_redacted_rendering_never_shows_a_tail() -> None:
    for f in scan(f"{STRIPE} {GHP} {OPENAI} password='Tr0ub4dor&3'"):
        assert f.redacted.endswith("***")
        assert len(f.redacted) <= 40


def test_devforge_identifiers_are_not_secrets_but_lookalikes_still_are() -> None:
    from shared.ids import new_job_id

    for _ in range(300):
        job = new_job_id()
        text = f'{{"branch": "devforge/{job}", "job_id": "{job}"}}'
        assert scan(text) == [] and redact(text) == text, job
    # The same alphabet with an uppercase letter, or longer, is no identifier of ours. Fixed
    # values: a random one may legitimately look too regular to be flagged (runs of letters).
    for lookalike in ("01jq3v7k2m9xw4t8r6p1n5b0cZ7y", "01hx4q9t2v7m3k8w1r6p0n5j2bQa9"):
        assert [f.kind for f in scan(f'{{"key": "{lookalike}"}}')] == ["high_entropy_string"]
