"""Secret detection and redaction for tickets, diffs, file contents, tool output and logs.

``scan(text)`` returns ``Finding``s (kind, 1-based line, 0-based column span within that line,
and a safe rendering that shows at most a fixed non-secret prefix such as ``sk_live_***``).
``redact(text)`` replaces every finding's full span with ``[REDACTED:<kind>]``.

Detectors, in priority order (an earlier detector wins an overlapping span): private key blocks,
provider token formats (AWS, GCP, Azure, GitHub, GitLab, Slack, Stripe, OpenAI, Anthropic,
OpenRouter, Twilio, SendGrid, npm, PyPI, Hugging Face and more), JWTs, Authorization headers,
credentials in URLs, password/secret/token assignments, and a Shannon-entropy detector for
unknown high-entropy strings in assignment context. Documented example values and placeholders
(AKIAIOSFODNN7EXAMPLE, ``changeme``, ``xxx``, ``<your-key>``, ``${VAR}``, ``dummy``, ``test`` ...)
are ignored. Speed: every regex is compiled once and skipped unless a cheap literal pre-filter
(``needle in text``) passes, so ordinary source code is scanned at tens of MB/s.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from shared.policy._secret_rules import (
    BY_NEEDLE,
    BY_NEEDLE_CI,
    ENV_LINE,
    FULL_SCAN,
    HASHY_KEY,
    KEY_AT,
    KEY_BEFORE,
    KEY_SUFFIX,
    LOWER,
    PASSWORD_KEYS,
    RANK,
    TRIGGERS,
    TRIGGERS_CI,
    Detector,
)

__all__ = ["Finding", "redact", "scan"]


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    line: int  # 1-based
    start: int  # 0-based column within `line`
    end: int  # exclusive; clipped to the end of `line` for multi-line secrets
    redacted: str


@dataclass(frozen=True, slots=True)
class _Hit:
    kind: str
    start: int
    end: int
    shown: str


def _accept(det: Detector, m: re.Match[str], text: str) -> _Hit | None:
    gd = m.groupdict()
    group = next((g for g in ("s", "s2", "s3") if gd.get(g)), None)
    if group is None:
        return None
    s, e = m.span(group)
    if not det.valid(text[s:e]):
        return None
    kind = det.kind
    if det.kind == "secret_assignment":
        km = KEY_AT.search(text, max(0, m.start() - 60), m.end("k"))
        stem = km.group().lower() if km else ""
        if gd["k"] == "key" and not KEY_SUFFIX.search(stem):
            return None
        if gd["k"] in PASSWORD_KEYS:
            kind = "password_assignment"
        if group == "s3":
            if text[e : e + 1] in ("<", ">", "[", "{", "("):
                return None
            op = text[m.end("k") : s]
            rest = text[e : e + 200].split("\n", 1)[0]
            if not (
                re.fullmatch(r"[\"']?=", op)
                or (re.fullmatch(r"[\"']?:[ \t]+", op) and not rest.strip())
            ):
                return None
    elif det.generic:
        lo = max(0, m.start() - 200)
        line_start = text.rfind("\n", lo, m.start()) + 1 or lo
        if group == "s2":
            if not ENV_LINE.fullmatch(text, line_start, m.start()):
                return None
            key = text[line_start : m.start()].rsplit(maxsplit=1)[-1]
        else:
            km = KEY_BEFORE.search(text, max(line_start, m.start() - 80), m.start())
            key = km.group(1) if km else ""
        if not key or HASHY_KEY.search(key):
            return None
    return _Hit(kind, s, e, (gd.get("p") or "") + "***")


def _lower(text: str) -> str:
    if text.isascii():
        return text.lower()
    low = text.lower()
    return low if len(low) == len(text) else text.translate(LOWER)


def _matches(text: str) -> list[_Hit]:
    found: dict[tuple[int, int, int], _Hit] = {}
    covered: dict[int, int] = {}  # detector rank -> end of its last match (skip triggers inside)
    n = len(text)

    def keep(det: Detector, m: re.Match[str]) -> None:
        rank = RANK[id(det)]
        covered[rank] = max(covered.get(rank, 0), m.end())
        hit = _accept(det, m, text)
        if hit is not None:
            found.setdefault((rank, hit.start, hit.end), hit)

    for hay, triggers, by_needle in (
        (text, TRIGGERS, BY_NEEDLE),
        (_lower(text), TRIGGERS_CI, BY_NEEDLE_CI),
    ):
        for trig in triggers:
            for tm in trig.finditer(hay):
                pos = tm.start()
                for det in by_needle[tm.group()]:
                    if pos < covered.get(RANK[id(det)], 0):
                        continue
                    hi = min(n, pos + (21000 if det.kind == "private_key" else 700))
                    if det.exact:
                        m = det.regex.match(hay, max(0, pos - det.back), hi)
                        if m is not None:
                            keep(det, m)
                        continue
                    for start in range(max(0, pos - det.back), pos + 1):
                        m = det.regex.match(hay, start, hi)
                        if m is not None:
                            keep(det, m)
                            break
    for det in FULL_SCAN:
        for m in det.regex.finditer(text):
            keep(det, m)
    return _resolve(found)


def _resolve(found: dict[tuple[int, int, int], _Hit]) -> list[_Hit]:
    """Keep the best-ranked hit for every span; drop lower-ranked overlapping ones."""
    starts: list[int] = []
    taken: list[_Hit] = []
    for key in sorted(found):
        hit = found[key]
        i = bisect.bisect_left(starts, hit.start)
        if i > 0 and taken[i - 1].end > hit.start:
            continue
        if i < len(taken) and taken[i].start < hit.end:
            continue
        starts.insert(i, hit.start)
        taken.insert(i, hit)
    return taken


def scan(text: str) -> list[Finding]:
    """Find secrets in ``text``; positions are per line (1-based line, 0-based columns)."""
    findings: list[Finding] = []
    line_no, counted, line_start = 1, 0, 0  # hits are sorted by start: walk lines once
    for h in _matches(text):
        newlines = text.count("\n", counted, h.start)
        if newlines:
            line_no += newlines
            line_start = text.rfind("\n", counted, h.start) + 1
        counted = h.start
        line_end = text.find("\n", h.start, h.end)
        end = h.end if line_end < 0 else line_end
        findings.append(
            Finding(
                kind=h.kind,
                line=line_no,
                start=h.start - line_start,
                end=end - line_start,
                redacted=h.shown,
            )
        )
    return findings


def redact(text: str) -> str:
    """Replace every detected secret (its whole span) with ``[REDACTED:<kind>]``."""
    out: list[str] = []
    pos = 0
    for h in _matches(text):
        out.append(text[pos : h.start])
        out.append(f"[REDACTED:{h.kind}]")
        pos = h.end
    out.append(text[pos:])
    return "".join(out)
