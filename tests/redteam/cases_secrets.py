"""Secret red-team cases: one positive per format plus a look-alike that must NOT be reported.

Secret values are generated at import time from a fixed seed (no real credentials, and no
complete token literal in this file for other scanners to trip over)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPERNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
DIGITS = "0123456789"


def rnd(n: int, alphabet: str = ALNUM, seed: str = "") -> str:
    """Deterministic pseudo-random string (sha256 stream)."""
    out: list[str] = []
    counter = 0
    while len(out) < n:
        block = hashlib.sha256(f"{seed}:{n}:{alphabet}:{counter}".encode()).digest()
        out.extend(alphabet[b % len(alphabet)] for b in block)
        counter += 1
    return "".join(out[:n])


def _b64url(obj: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


@dataclass(frozen=True)
class SecretCase:
    kind: str
    secret: str  # the value that must be found and must not survive redaction
    text: str  # the text scanned (contains `secret`)
    lookalike: str  # similar text that must produce no finding
    tail: str  # a piece of the secret that must not appear in any output


def _c(kind: str, secret: str, template: str, lookalike: str, tail: str = "") -> SecretCase:
    return SecretCase(kind, secret, template.replace("{s}", secret), lookalike, tail or secret[-8:])


_PEM_BODY = "\n".join(rnd(64, B64, f"pem{i}") for i in range(6))
_JWT = ".".join(
    [
        _b64url({"alg": "HS256", "typ": "JWT"}),
        _b64url({"sub": "1234567890", "name": "svc", "iat": 1700000000}),
        rnd(43, ALNUM + "-_", "jwtsig"),
    ]
)
CASES: list[SecretCase] = [
    _c(
        "aws_access_key_id",
        "AKIA" + rnd(16, UPPERNUM, "a1"),
        "aws_key = '{s}'",
        "aws_key = 'AKIAIOSFODNN7EXAMPLE'",
    ),
    _c(
        "aws_access_key_id",
        "ASIA" + rnd(16, UPPERNUM, "a2"),
        "AWS_ACCESS_KEY_ID={s}",
        "AWS_ACCESS_KEY_ID=ASIA1234",
    ),
    _c(
        "aws_secret_access_key",
        rnd(40, B64, "a3"),
        'aws_secret_access_key = "{s}"',
        'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    ),
    _c("gcp_api_key", "AIza" + rnd(35, ALNUM + "_-", "g1"), "key={s}", "key=AIzaShortValue123"),
    _c(
        "gcp_service_account_key",
        rnd(40, HEX, "g2"),
        '{"type": "service_account", "private_key_id": "{s}"}',
        '{"private_key_id": "your-private-key-id"}',
    ),
    _c(
        "gcp_oauth_client_secret",
        "GOCSPX-" + rnd(28, ALNUM, "g3"),
        "client_secret: {s}",
        "client_secret: GOCSPX-xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ),
    _c(
        "google_oauth_token",
        "ya29." + rnd(60, ALNUM + "_-", "g4"),
        "Bearer-ish {s}",
        "the ya29.example prefix is documented",
    ),
    _c(
        "azure_storage_key",
        rnd(86, B64, "z1") + "==",
        "DefaultEndpointsProtocol=https;"
        "AccountName=acct;AccountKey={s};EndpointSuffix=core.windows.net",
        "AccountKey=<your-account-key>",
    ),
    _c(
        "azure_sas_token",
        rnd(43, ALNUM, "z2") + "%3D",
        "https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&sr=b&sp=r&sig={s}",
        "https://acct.blob.core.windows.net/c?sv=1&sig=abc",
    ),
    _c(
        "azure_client_secret",
        rnd(3, ALNUM, "z3") + "8Q~" + rnd(34, ALNUM + "_-.", "z4"),
        "AZURE_CLIENT_SECRET={s}",
        "the Q~ notation is used in azure secrets docs",
    ),
    _c(
        "github_token",
        "ghp_" + rnd(36, ALNUM, "h1"),
        "GITHUB_TOKEN={s}",
        "GITHUB_TOKEN=ghp_" + "x" * 36,
    ),
    _c("github_token", "gho_" + rnd(36, ALNUM, "h2"), "oauth: {s}", "oauth: gho_short"),
    _c(
        "github_pat",
        "github_pat_" + rnd(22, ALNUM, "h3") + "_" + rnd(59, ALNUM, "h4"),
        "token = '{s}'",
        "token = 'github_pat_<fine-grained-token>'",
    ),
    _c(
        "gitlab_token",
        "glpat-" + rnd(20, ALNUM, "l1"),
        "GITLAB_TOKEN={s}",
        "GITLAB_TOKEN=glpat-xxxxxxxxxxxxxxxxxxxx",
    ),
    _c(
        "gitlab_runner_token",
        "GR1348941" + rnd(20, ALNUM, "l2"),
        "runner: {s}",
        "runner registration prefix GR1348941 explained",
    ),
    _c(
        "slack_token",
        "xoxb-" + rnd(12, DIGITS, "s1") + "-" + rnd(12, DIGITS, "s2") + "-" + rnd(24, ALNUM, "s3"),
        "SLACK_BOT_TOKEN={s}",
        "SLACK_BOT_TOKEN=xoxb-your-token-here",
    ),
    _c(
        "slack_webhook",
        "https://hooks.slack.com/services/T"
        + rnd(10, UPPERNUM, "s4")
        + "/B"
        + rnd(10, UPPERNUM, "s5")
        + "/"
        + rnd(24, ALNUM, "s6"),
        "url = '{s}'",
        "url = 'https://hooks.slack.com/services/XXX/YYY/ZZZ'",
    ),
    _c(
        "discord_webhook",
        "https://discord.com/api/webhooks/"
        + rnd(18, DIGITS, "d1")
        + "/"
        + rnd(68, ALNUM + "_-", "d2"),
        "hook: {s}",
        "hook: https://discord.com/api/webhooks/1/abc",
    ),
    _c(
        "stripe_secret_key",
        "sk_live_" + rnd(24, ALNUM, "p1"),
        'stripe.api_key = "{s}"',
        'stripe.api_key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"',
    ),
    _c(
        "stripe_restricted_key",
        "rk_live_" + rnd(24, ALNUM, "p2"),
        "STRIPE_KEY={s}",
        "STRIPE_KEY=rk_live_placeholder00000000",
    ),
    _c(
        "stripe_webhook_secret",
        "whsec_" + rnd(32, ALNUM, "p3"),
        "WEBHOOK_SECRET={s}",
        "WEBHOOK_SECRET=whsec_...",
    ),
    _c(
        "openai_api_key",
        "sk-proj-" + rnd(48, ALNUM + "_-", "o1"),
        "OPENAI_API_KEY={s}",
        "OPENAI_API_KEY=sk-your-openai-key-goes-here",
    ),
    _c(
        "openai_api_key",
        "sk-" + rnd(20, ALNUM, "o2") + "T3BlbkFJ" + rnd(20, ALNUM, "o3"),
        "openai.api_key = '{s}'",
        "pip install scikit-learn sk-learn-extensions",
    ),
    _c(
        "anthropic_api_key",
        "sk-ant-api03-" + rnd(93, ALNUM + "_-", "o4") + "AA",
        "ANTHROPIC_API_KEY={s}",
        "ANTHROPIC_API_KEY=sk-ant-xxxx",
    ),
    _c(
        "openrouter_api_key",
        "sk-or-v1-" + rnd(64, HEX, "o5"),
        "OPENROUTER_API_KEY={s}",
        "OPENROUTER_API_KEY=sk-or-v1-<key>",
    ),
    _c(
        "huggingface_token",
        "hf_" + rnd(34, ALNUM, "f1"),
        "HF_TOKEN={s}",
        "from huggingface_hub import hf_hub_download",
    ),
    _c(
        "twilio_api_key",
        "SK" + rnd(32, HEX, "t1"),
        "TWILIO_API_KEY={s}",
        "SKIP_CHECKS_FOR_THIS_ENVIRONMENT_FLAG=1",
    ),
    _c(
        "twilio_auth_token",
        rnd(32, HEX, "t2"),
        'TWILIO_AUTH_TOKEN = "{s}"',
        'TWILIO_AUTH_TOKEN = "your_auth_token"',
    ),
    _c(
        "sendgrid_api_key",
        "SG." + rnd(22, ALNUM + "_-", "t3") + "." + rnd(43, ALNUM + "_-", "t4"),
        "SENDGRID_API_KEY={s}",
        "SENDGRID_API_KEY=SG.example.key",
    ),
    _c(
        "npm_token",
        "npm_" + rnd(36, ALNUM, "n1"),
        "NPM_TOKEN={s}",
        "npm_config_cache=/tmp/npm-cache",
    ),
    _c(
        "npm_auth_token",
        rnd(8, HEX, "n2") + "-" + rnd(4, HEX, "n3") + "-" + rnd(12, HEX, "n4"),
        "//registry.npmjs.org/:_authToken={s}",
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
    ),
    _c(
        "pypi_token",
        "pypi-AgEIcHlwaS5vcmc" + rnd(60, ALNUM + "_-", "y1"),
        "password = {s}",
        "pip install pypi-server",
    ),
    _c(
        "private_key",
        "-----BEGIN RSA PRIVATE KEY-----\n" + _PEM_BODY + "\n-----END RSA PRIVATE KEY-----",
        "key:\n{s}\n",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        _PEM_BODY[-12:],
    ),
    _c(
        "private_key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n" + _PEM_BODY + "\n-----END OPENSSH PRIVATE KEY-----",
        "{s}",
        "-----BEGIN PUBLIC KEY-----\n" + _PEM_BODY + "\n-----END PUBLIC KEY-----",
        _PEM_BODY[:12],
    ),
    _c(
        "private_key",
        "-----BEGIN PRIVATE KEY-----\\n"
        + _PEM_BODY.replace("\n", "\\n")
        + "\\n-----END PRIVATE KEY-----\\n",
        '{"private_key": "{s}"}',
        "-----BEGIN CERTIFICATE-----\n" + _PEM_BODY + "\n-----END CERTIFICATE-----",
        _PEM_BODY[100:112],
    ),
    _c(
        "jwt",
        _JWT,
        "Authorization-ish cookie={s}; Path=/",
        "eyJ" + "hello.eyJ" + "world is not a token",
    ),
    _c(
        "url_credentials",
        rnd(18, ALNUM, "u1"),
        "DATABASE_URL=postgres://app:{s}@db.internal/app",
        "DATABASE_URL=postgres://user:password@localhost/app",
    ),
    _c(
        "url_credentials",
        rnd(20, ALNUM, "u2"),
        "git clone https://deploy:{s}@git.example.com/r",
        "git clone https://user:${TOKEN}@git.example.com/r",
    ),
    _c(
        "password_assignment",
        "Tr0ub4dor&3x",
        'DB_PASSWORD = "{s}"',
        'DB_PASSWORD = os.environ["DB_PASSWORD"]',
    ),
    _c(
        "password_assignment",
        "S3cure!Wq2024",
        "database:\n  password: {s}\n",
        "database:\n  password: changeme\n",
    ),
    _c("secret_assignment", rnd(24, ALNUM, "e1"), "API_SECRET={s}", "API_SECRET=${API_SECRET}"),
    _c(
        "secret_assignment",
        rnd(32, ALNUM, "e2"),
        '{"api_key": "{s}"}',
        '{"api_key": "<your-api-key>"}',
    ),
    _c(
        "bearer_token",
        rnd(40, ALNUM, "b1"),
        "Authorization: Bearer {s}",
        "Authorization: Bearer $TOKEN",
    ),
    _c(
        "high_entropy_string",
        rnd(32, ALNUM, "x1"),
        'SIGNING_SEED = "{s}"',
        'ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789"',
    ),
    _c(
        "high_entropy_string",
        rnd(28, ALNUM, "x2"),
        "INTERNAL_HMAC={s}",
        "COMMIT_SHA=" + rnd(40, HEX, "x3"),
    ),
    _c("databricks_token", "dapi" + rnd(32, HEX, "k1"), "DATABRICKS_TOKEN={s}", "dapi_version = 2"),
    _c(
        "digitalocean_token",
        "dop_v1_" + rnd(64, HEX, "k2"),
        "DO_TOKEN={s}",
        "DO_TOKEN=dop_v1_example",
    ),
    _c(
        "shopify_token",
        "shpat_" + rnd(32, HEX, "k3"),
        "SHOPIFY_TOKEN={s}",
        "SHOPIFY_TOKEN=shpat_" + "0" * 32,
    ),
    _c(
        "docker_hub_token",
        "dckr_pat_" + rnd(27, ALNUM + "_-", "k4"),
        "DOCKER_PAT={s}",
        "DOCKER_PAT=dckr_pat_xxxxx",
    ),
    _c(
        "telegram_bot_token",
        rnd(10, DIGITS, "k5") + ":AA" + rnd(33, ALNUM + "_-", "k6"),
        "BOT_TOKEN={s}",
        "ratio 12:AA",
    ),
    _c("vault_token", "hvs." + rnd(24, ALNUM, "k7"), "VAULT_TOKEN={s}", "VAULT_TOKEN=hvs.example"),
    _c("groq_api_key", "gsk_" + rnd(52, ALNUM, "k8"), "GROQ_API_KEY={s}", "GROQ_API_KEY=gsk_short"),
    _c("xai_api_key", "xai-" + rnd(80, ALNUM, "k9"), "XAI_API_KEY={s}", "pip install xai-sdk"),
    _c(
        "mailgun_api_key",
        "key-" + rnd(32, HEX, "m1"),
        "MAILGUN_KEY={s}",
        "a key-value store keeps key-value pairs",
    ),
]
