"""Secret detector table for ``shared.policy.secrets`` (internal).

Each detector is a compiled regex with a named group ``s`` (or ``s2``/``s3``) for the secret
value and optionally ``p`` for a non-secret prefix that may be shown (``sk_live_``). Token
detectors carry literal ``needles``: the scanner finds all needles with one regex per first
character and only runs a detector in a small window around each hit. Validators reject
documented example values and placeholders.
"""

from __future__ import annotations

import base64
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

Validator = Callable[[str], bool]
_KNOWN_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    }
)
_STRICT_PLACEHOLDER = re.compile(
    r"(?i)example|placeholder|your[_-]|<[^>]*>|\$\{|\{\{|x{6,}|(.)\1{7,}|redacted|dummy|fake"
)
_PEM_PLACEHOLDER = re.compile(r"(?i)example|placeholder|your[_-]|redacted|\.\.\.|<[^>]*>|x{8,}")
_LOOSE_PLACEHOLDER = re.compile(
    r"(?i)example|dummy|sample|placeholder|change[_-]?me|your|^my[_-]|x{3,}|\*{3,}|<[^>]*>|\$\{|^\$|\{\{"
    r"|%\(|%s|redacted|fake|mock|test|todo|fixme|insert|replace[_-]?me|lorem|foo|bar|baz|\.\.\."
    r"|(.)\1{4,}|^[\W_]+$|^(?:none|null|nil|true|false|undefined|password|secret|token|pass"
    r"|admin|root|string|str|bytes|int|required|optional|env|default|hidden|empty|unset)$"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
HASHY_KEY = re.compile(
    r"(?i)(?:hash|sha\d*|md5|digest|checksum|integrity|etag|nonce|uuid|guid|commit|revision|rev"
    r"|version|_id|^id|salt|fingerprint|tag|url|uri|href|path|file|dir|name|pattern|regex|class)$"
)


def _entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _strict_ok(v: str) -> bool:
    return v not in _KNOWN_EXAMPLES and not _STRICT_PLACEHOLDER.search(v)


def _mixed(v: str) -> bool:
    return _strict_ok(v) and bool(re.search(r"\d", v)) and bool(re.search(r"[A-Za-z]", v))


def _loose_ok(v: str) -> bool:
    if _LOOSE_PLACEHOLDER.search(v) or v in _KNOWN_EXAMPLES:
        return False
    if len(v.split()) > 2 or (" " in v and v.replace(" ", "").isalpha()):
        return False
    if any(c in v for c in "([{}])") or v.endswith(("=", ":")):
        return False
    return not (_IDENTIFIER.fullmatch(v) and not re.search(r"\d", v))


def _jwt_ok(v: str) -> bool:
    head = v.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except ValueError:
        return False
    return (b'"alg"' in raw or b'"typ"' in raw) and _strict_ok(v)


def _pem_ok(v: str) -> bool:
    """Key bodies legitimately contain long runs (``AAAAAAAA`` in OpenSSH keys): no repeat rule."""
    body = re.sub(r"-----[A-Z0-9 ]+-----|\\n|\s", "", v)
    return len(body) >= 40 and not _PEM_PLACEHOLDER.search(body)


_CLASS_RUN = re.compile(r"[a-z]+|[A-Z]+|[0-9]+|[^a-zA-Z0-9]+")
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789")
_ALPHABET_RUN = re.compile(
    "|".join(
        re.escape(seq[i : i + 5])
        for base in _SEQUENCES
        for seq in (base, base[::-1])
        for i in range(len(seq) - 4)
    )
)


def _random_looking(v: str) -> bool:
    """Random tokens switch character class often and contain no alphabet runs (abcde, 54321)."""
    changes = len(_CLASS_RUN.findall(v)) - 1
    parts = re.split(r"[-._]", v)
    wordy = len(parts) >= 4 and any(len(p) >= 4 and p.isalpha() and p.islower() for p in parts)
    return changes >= 0.35 * (len(v) - 1) and not _ALPHABET_RUN.search(v) and not wordy


def _url_password_ok(v: str) -> bool:
    plain = unquote(v)
    return _loose_ok(plain) and not any(c.isspace() for c in plain)


# DevForge's own identifiers (lowercase ULIDs, as a job's branch too) are random but public.
_OWN_ID = re.compile(r"(?:devforge/)?[0-7][0-9a-hjkmnp-tv-z]{25}")


def _high_entropy_ok(v: str) -> bool:
    if not _loose_ok(v) or not _random_looking(v) or re.match(r"(?i)sha\d+-|[a-z]+://|/", v):
        return False
    if _OWN_ID.fullmatch(v):
        return False
    classes = sum(bool(re.search(p, v)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
    if classes < 2 or not re.search(r"\d", v) or re.fullmatch(r"[0-9a-fA-F\-]+", v):
        return False
    return _entropy(v) >= min(4.0, math.log2(len(v)) - 1.0)


@dataclass(frozen=True, slots=True)
class Detector:
    kind: str
    regex: re.Pattern[str]
    needles: tuple[str, ...] = ()  # literal triggers; empty = the regex scans the whole text
    valid: Validator = _strict_ok
    back: int = 0  # how far before a trigger the match starts (at most, when not exact)
    exact: bool = True  # the match starts exactly `back` characters before the trigger
    ci: bool = False  # the regex runs on an ASCII-lowercased copy
    generic: bool = False  # assignment-context detector: looks at the key name


def _tok(
    kind: str,
    prefix: str,
    body: str,
    needles: tuple[str, ...],
    valid: Validator = _strict_ok,
    back: int = 0,
    tail: str = r"(?![A-Za-z0-9_\-])",
    exact: bool = True,
) -> Detector:
    pattern = rf"(?<![A-Za-z0-9_\-])(?P<s>(?P<p>{prefix}){body}){tail}"
    return Detector(kind, re.compile(pattern), needles, valid, back, exact)


_ASSIGN_OP = r"""["']?[ \t]*(?::[ \t]*[a-z_][\w\[\], |.]*[ \t]*=|:=|=>|=(?!=)|:(?![:/]))[ \t]*"""
_VALUE = r"""(?:"(?P<s>[^"\n]{6,200})"|'(?P<s2>[^'\n]{6,200})'|(?P<s3>[^\s"',;#)}\]\[<>]{6,200}))"""
_KEY_FORMS = (
    r"pass(?:word|wd|phrase|(?<![a-z]pass))",
    r"pw(?:(?<![a-z]pw)|d(?<![a-z]pwd))",
    r"secret",
    r"token",
    r"key",
    r"credentials?",
)
_KEY_NEEDLES = ("pass", "pw", "secret", "token", "key", "credential")
KEY_SUFFIX = re.compile(
    r"(?:api|access|private|auth|signing|encryption|master|secret|client|app|license|account"
    r"|session|service|admin|deploy|webhook|consumer|cookie|jwt)[_\-.]?key$|^apikey$"
)
DETECTORS: tuple[Detector, ...] = (
    Detector(
        "private_key",
        re.compile(
            r"(?s)(?P<s>(?P<p>-----BEGIN [A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----)"
            r"(?:(?!-----).){0,20000}(?:-----END [A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----)?)"
        ),
        ("PRIVATE KEY",),
        _pem_ok,
        back=50,
        exact=False,
    ),
    _tok(
        "aws_access_key_id",
        "AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9]",
        "[A-Z0-9]{16}",
        ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
    ),
    _tok("gcp_api_key", "AIza", r"[0-9A-Za-z_\-]{35}", ("AIza",)),
    _tok("gcp_oauth_client_secret", "GOCSPX-", r"[A-Za-z0-9_\-]{28}", ("GOCSPX-",)),
    _tok("google_oauth_token", r"ya29\.", r"[0-9A-Za-z_\-]{30,}", ("ya29.",)),
    _tok(
        "azure_client_secret",
        r"[A-Za-z0-9_~.]{3}\dQ~",
        r"[A-Za-z0-9_~.\-]{31,34}",
        ("Q~",),
        _mixed,
        back=4,
    ),
    _tok(
        "github_token",
        "gh[pousr]_",
        "[A-Za-z0-9]{36,255}",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    _tok("github_pat", "github_pat_", "[A-Za-z0-9_]{50,255}", ("github_pat_",)),
    _tok(
        "gitlab_token",
        "gl(?:pat|dt|rt|cbt|ptt|ft|imt|oas|soat|ffct|agent)-",
        r"[A-Za-z0-9_\-]{20,}",
        (
            "glpat-",
            "gldt-",
            "glrt-",
            "glcbt-",
            "glptt-",
            "glft-",
            "glimt-",
            "gloas-",
            "glsoat-",
            "glffct-",
            "glagent-",
        ),
        _mixed,
    ),
    _tok("gitlab_runner_token", "GR1348941", r"[A-Za-z0-9_\-]{20,}", ("GR1348941",)),
    _tok(
        "slack_token",
        "xox[abposre]-",
        r"[A-Za-z0-9\-]{10,}",
        ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe-"),
        _mixed,
    ),
    _tok(
        "slack_webhook",
        r"https://hooks\.slack\.com/",
        r"(?:services|workflows|triggers)/"
        r"[A-Za-z0-9+/_\-]{20,}",
        ("hooks.slack.com",),
        back=8,
    ),
    _tok(
        "discord_webhook",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/",
        r"\d+/[A-Za-z0-9_\-]{50,}",
        ("discord",),
        back=16,
        exact=False,
    ),
    _tok(
        "stripe_secret_key",
        "sk_(?:live|test)_",
        "[A-Za-z0-9]{16,247}",
        ("k_live_", "k_test_"),
        back=1,
    ),
    _tok(
        "stripe_restricted_key",
        "rk_(?:live|test)_",
        "[A-Za-z0-9]{16,247}",
        ("k_live_", "k_test_"),
        back=1,
    ),
    _tok("stripe_webhook_secret", "whsec_", "[A-Za-z0-9]{32,}", ("hsec_",), back=1),
    _tok("anthropic_api_key", "sk-ant-", r"[A-Za-z0-9_\-]{32,}", ("k-ant-",), back=1),
    _tok("openrouter_api_key", "sk-or-", r"(?:v1-)?[A-Za-z0-9]{32,}", ("k-or-",), back=1),
    _tok(
        "openai_api_key",
        "sk-(?!ant-|or-)(?:proj-|svcacct-|admin-|None-)?",
        r"[A-Za-z0-9_\-]{20,}",
        ("k-",),
        _mixed,
        back=1,
    ),
    _tok("huggingface_token", "hf_", "[A-Za-z0-9]{34,40}", ("hf_",), _mixed),
    _tok("twilio_api_key", "SK", "[0-9a-f]{32}", ("SK",), _mixed),
    _tok("sendgrid_api_key", r"SG\.", r"[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}", ("SG.",)),
    _tok("npm_token", "npm_", "[A-Za-z0-9]{36}", ("pm_",), _mixed, back=1),
    _tok("pypi_token", "pypi-", r"AgE[A-Za-z0-9_\-]{50,}", ("pypi-AgE",)),
    _tok("mailgun_api_key", "key-", "[0-9a-f]{32}", ("key-",), _mixed),
    _tok(
        "shopify_token",
        "shp(?:at|ca|pa|ss)_",
        "[a-fA-F0-9]{32}",
        ("hpat_", "hpca_", "hppa_", "hpss_"),
        back=1,
    ),
    _tok("digitalocean_token", "do[opr]_v1_", "[a-f0-9]{64}", ("doo_v1_", "dop_v1_", "dor_v1_")),
    _tok("databricks_token", "dapi", r"[a-f0-9]{32}(?:-\d)?", ("dapi",), _mixed),
    _tok("docker_hub_token", "dckr_pat_", r"[A-Za-z0-9_\-]{27,}", ("dckr_pat_",)),
    _tok(
        "telegram_bot_token", r"\d{8,10}:AA", r"[A-Za-z0-9_\-]{33}", (":AA",), back=10, exact=False
    ),
    _tok("groq_api_key", "gsk_", "[A-Za-z0-9]{52}", ("gsk_",)),
    _tok("xai_api_key", "xai-", "[A-Za-z0-9]{60,}", ("xai-",)),
    _tok("vault_token", r"hv[sb]\.", r"[A-Za-z0-9_\-]{24,}", ("hvs.", "hvb."), _mixed),
    _tok(
        "jwt",
        "eyJ",
        r"[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*",
        ("yJ",),
        _jwt_ok,
        back=1,
        tail=r"(?![A-Za-z0-9_\-.])",
    ),
    Detector(
        "gcp_service_account_key",
        re.compile(r'"private_key_id"\s*:\s*"(?P<s>[a-f0-9]{40})"'),
        ("private_key_id",),
        back=1,
    ),
    Detector(
        "azure_storage_key",
        re.compile(r"AccountKey\s*=\s*(?P<s>[A-Za-z0-9+/]{86,88}={0,2})"),
        ("AccountKey",),
    ),
    Detector(
        "azure_sas_token",
        re.compile(r"[?&]sig=(?P<s>[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})"),
        ("&sig=",),
    ),
    Detector(
        "url_credentials",
        re.compile(
            r"://[^\s:/?#@'\"<>]{1,128}:(?P<s>[^\s@/'\"<>]{1,256})@"
            r"[A-Za-z0-9.\-\[\]_]+"
        ),
        ("://",),
        _url_password_ok,
    ),
    Detector(
        "aws_secret_access_key",
        re.compile(
            r"aws.{0,20}?(?:secret|sk).{0,20}?[=:\"'\s]+"
            r"(?P<s>[a-z0-9/+]{40})(?![a-z0-9/+=])"
        ),
        ("aws",),
        _mixed,
        ci=True,
    ),
    Detector(
        "twilio_auth_token",
        re.compile(
            r"twilio.{0,30}?(?:auth|token|secret).{0,20}?[=:\"'\s]+"
            r"(?P<s>[0-9a-f]{32})(?![0-9a-z])"
        ),
        ("twilio",),
        _mixed,
        ci=True,
    ),
    Detector(
        "npm_auth_token",
        re.compile(r"_authtoken\s*=\s*(?P<s>[^\s'\"]{10,})"),
        ("authtoken",),
        _loose_ok,
        back=1,
        ci=True,
    ),
    Detector(
        "bearer_token",
        re.compile(
            r"authorization\s*[:=]\s*[\"']?(?:bearer|token|basic)\s+"
            r"(?P<s>[a-z0-9._~+/=\-]{16,})"
        ),
        ("authorization",),
        _loose_ok,
        ci=True,
    ),
    *(
        Detector(
            "secret_assignment",
            re.compile(rf"(?P<k>{form}){_ASSIGN_OP}{_VALUE}"),
            (needle,),
            _loose_ok,
            ci=True,
            generic=True,
        )
        for form, needle in zip(_KEY_FORMS, _KEY_NEEDLES, strict=True)
    ),
    Detector(
        "high_entropy_string",
        re.compile(r"=\s{0,3}[\"'](?P<s>[A-Za-z0-9+/=_\-.~]{20,200}+)[\"']"),
        (),
        _high_entropy_ok,
        generic=True,
    ),
    Detector(
        "high_entropy_string",
        re.compile(r":\s{0,3}[\"'](?P<s>[A-Za-z0-9+/=_\-.~]{20,200}+)[\"']"),
        (),
        _high_entropy_ok,
        generic=True,
    ),
    Detector(
        "high_entropy_string",
        re.compile(r"(?m)=(?<=[A-Za-z0-9_]=)(?P<s2>[A-Za-z0-9+/=_\-.~]{20,200}+)[ \t]*$"),
        (),
        _high_entropy_ok,
        generic=True,
    ),
)
RANK = {id(d): i for i, d in enumerate(DETECTORS)}


def _triggers(ci: bool) -> tuple[dict[str, list[Detector]], tuple[re.Pattern[str], ...]]:
    by_needle: dict[str, list[Detector]] = {}
    for det in DETECTORS:
        if det.ci == ci:
            for needle in det.needles:
                by_needle.setdefault(needle, []).append(det)
    firsts = sorted({n[0] for n in by_needle})
    groups = [sorted((n for n in by_needle if n[0] == f), key=len, reverse=True) for f in firsts]
    regexes = tuple(
        re.compile(re.escape(g[0][0]) + "(?:" + "|".join(re.escape(n[1:]) for n in g) + ")")
        for g in groups
    )
    return by_needle, regexes


BY_NEEDLE, TRIGGERS = _triggers(ci=False)
BY_NEEDLE_CI, TRIGGERS_CI = _triggers(ci=True)
FULL_SCAN = tuple(d for d in DETECTORS if not d.needles)
PASSWORD_KEYS = frozenset({"password", "passwd", "passphrase", "pwd", "pass", "pw"})
LOWER = str.maketrans({chr(c): chr(c + 32) for c in range(65, 91)})
KEY_BEFORE = re.compile(r"([A-Za-z_][\w.\-]*)[\"']?\s*(?:export\s+)?$")
KEY_AT = re.compile(r"[A-Za-z0-9_.\-]*$")
ENV_LINE = re.compile(r"[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*")
