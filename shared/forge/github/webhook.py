"""GitHub webhook deliveries: the signature check and what each event means to DevForge. Pure.

- ``push`` to a repository's default branch -> re-index (``repo.pushed``);
- a new comment (``issue_comment`` on a pull request, ``pull_request_review_comment``) by a
  person with write access -> a follow-up job on that pull request's branch;
- anything else is acknowledged and ignored. A payload missing what its event needs is
  ``Malformed`` (HTTP 400).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

# Who may start work with a comment: people with write access, never bots (our own App's
# comments must not start jobs) nor drive-by commenters on a public repository.
TRUSTED = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
_SHA = re.compile(r"^[0-9a-f]{40}$")
_ZERO = "0" * 40


class Malformed(ValueError):
    """A delivery whose payload lacks what its event needs."""


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Push:
    installation_id: int
    repo_github_id: int
    ref: str
    commit: str


@dataclass(frozen=True)
class Comment:
    installation_id: int
    repo_github_id: int
    number: int  # the pull request
    author: str
    body: str
    url: str
    path: str | None = None  # a review comment's file and line
    line: int | None = None


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256``: ``sha256=`` + HMAC-SHA256 of the raw body, compared in constant
    time. An empty secret never validates."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            raise Malformed(f"the payload has no {'.'.join(path)}")
        obj = obj[key]
    return obj


def _int(obj: Any, *path: str) -> int:
    value = _get(obj, *path)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Malformed(f"{'.'.join(path)} must be an integer")
    return value


def _str(obj: Any, *path: str) -> str:
    value = _get(obj, *path)
    if not isinstance(value, str):
        raise Malformed(f"{'.'.join(path)} must be a string")
    return value


def _push(p: dict[str, Any]) -> Push | Ignored:
    ref, after = _str(p, "ref"), _str(p, "after")
    default = _str(p, "repository", "default_branch")
    push = Push(_int(p, "installation", "id"), _int(p, "repository", "id"), ref, after)
    if after == _ZERO:
        return Ignored("a deleted ref")
    if not _SHA.fullmatch(after):
        raise Malformed("after must be a commit id")
    if ref != f"refs/heads/{default}":
        return Ignored(f"{ref} is not the default branch")
    return push


def _comment(p: dict[str, Any], number: int, review: bool) -> Comment | Ignored:
    if _str(p, "action") != "created":
        return Ignored(f"comment {p['action']}")
    user_type = _str(p, "comment", "user", "type")
    association = _str(p, "comment", "author_association")
    if user_type == "Bot":
        return Ignored("a bot's comment")
    if association not in TRUSTED:
        return Ignored(f"a comment by a {association.lower()} (no write access)")
    line = p["comment"].get("line") if review else None
    return Comment(
        installation_id=_int(p, "installation", "id"),
        repo_github_id=_int(p, "repository", "id"),
        number=number,
        author=_str(p, "comment", "user", "login"),
        body=_str(p, "comment", "body"),
        url=_str(p, "comment", "html_url"),
        path=_str(p, "comment", "path") if review else None,
        line=line if isinstance(line, int) else None,
    )


def interpret(event: str, payload: Any) -> Push | Comment | Ignored:
    """What one delivery asks of DevForge."""
    if not isinstance(payload, dict):
        raise Malformed("the payload must be a JSON object")
    if event == "push":
        return _push(payload)
    if event == "issue_comment":
        if not isinstance(_get(payload, "issue"), dict) or "pull_request" not in payload["issue"]:
            return Ignored("a comment on an issue, not a pull request")
        return _comment(payload, _int(payload, "issue", "number"), review=False)
    if event == "pull_request_review_comment":
        return _comment(payload, _int(payload, "pull_request", "number"), review=True)
    return Ignored(f"event {event!r} is not used")


def follow_up_text(c: Comment) -> tuple[str, str]:
    """The follow-up ticket's title and body: the reviewer's words, where they were written."""
    where = f" on `{c.path}`" + (f" line {c.line}" if c.line else "") if c.path else ""
    title = f"Address review comment on PR #{c.number}"
    body = (
        f"A reviewer ({c.author}) commented{where} on pull request #{c.number} ({c.url}). "
        "Change the pull request's branch to address it.\n\n"
        f"{c.body}"
    )
    return title, body[:20000]
