"""The GitHub adapter's pure parts: webhook signatures, what each delivery means, the
follow-up ticket's text, push-rejection reasons and how a token reaches git."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from shared.forge.github import gitauth
from shared.forge.github import webhook as wh
from shared.forge.github.forge import rejection

SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
# GitHub's documented example: this secret and body give this signature.
GITHUB_EXAMPLE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_signature_matches_githubs_documented_example() -> None:
    assert wh.signature_valid(SECRET, BODY, GITHUB_EXAMPLE)


@pytest.mark.parametrize(
    "secret, body, header",
    [
        (SECRET, BODY + b" ", GITHUB_EXAMPLE),  # body changed
        ("another secret", BODY, GITHUB_EXAMPLE),
        (SECRET, BODY, GITHUB_EXAMPLE.replace("sha256=", "sha1=")),
        (SECRET, BODY, GITHUB_EXAMPLE[:-1] + "0"),
        (SECRET, BODY, None),
        (SECRET, BODY, ""),
        ("", BODY, "sha256=" + hmac.new(b"", BODY, hashlib.sha256).hexdigest()),  # no secret
    ],
)
def test_signature_refused(secret: str, body: bytes, header: str | None) -> None:
    assert not wh.signature_valid(secret, body, header)


def _push(**over: Any) -> dict[str, Any]:
    return {
        "ref": "refs/heads/main",
        "after": "a" * 40,
        "installation": {"id": 5},
        "repository": {"id": 9, "default_branch": "main"},
        **over,
    }


def _comment(event: str, **comment: Any) -> dict[str, Any]:
    base = {
        "body": "rename it",
        "html_url": "https://github.example/c/1",
        "author_association": "MEMBER",
        "user": {"login": "rita", "type": "User"},
        **comment,
    }
    payload: dict[str, Any] = {
        "action": "created",
        "installation": {"id": 5},
        "repository": {"id": 9},
        "comment": base,
    }
    if event == "issue_comment":
        payload["issue"] = {"number": 3, "pull_request": {}}
    else:
        payload["pull_request"] = {"number": 3}
    return payload


def test_push_to_the_default_branch_is_a_reindex() -> None:
    assert wh.interpret("push", _push()) == wh.Push(5, 9, "refs/heads/main", "a" * 40)


@pytest.mark.parametrize(
    "payload, why",
    [
        (_push(ref="refs/heads/devforge/x"), "not the default branch"),
        (_push(ref="refs/tags/v1"), "not the default branch"),
        (_push(after="0" * 40), "deleted"),
    ],
)
def test_pushes_that_change_nothing_indexed_are_ignored(payload: dict[str, Any], why: str) -> None:
    what = wh.interpret("push", payload)
    assert isinstance(what, wh.Ignored) and why in what.reason


@pytest.mark.parametrize(
    "event, payload, names",
    [
        ("push", {"ref": "refs/heads/main"}, "after"),
        ("push", _push(after="not-a-sha"), "commit id"),
        ("push", _push(installation={"id": "5"}), "installation.id"),
        ("push", [1, 2], "JSON object"),
        ("issue_comment", {"action": "created"}, "issue"),
        ("pull_request_review_comment", {"action": "created", "pull_request": {}}, "number"),
    ],
)
def test_malformed_deliveries_name_what_is_missing(event: str, payload: Any, names: str) -> None:
    with pytest.raises(wh.Malformed, match=names):
        wh.interpret(event, payload)


def test_comments_on_a_pull_request_by_people_with_write_access() -> None:
    issue = wh.interpret("issue_comment", _comment("issue_comment"))
    assert issue == wh.Comment(5, 9, 3, "rita", "rename it", "https://github.example/c/1")
    review = wh.interpret(
        "pull_request_review_comment", _comment("review", path="shop.py", line=12)
    )
    assert isinstance(review, wh.Comment) and (review.path, review.line) == ("shop.py", 12)


@pytest.mark.parametrize(
    "event, payload, why",
    [
        ("issue_comment", {**_comment("issue_comment"), "issue": {"number": 3}}, "issue"),
        ("issue_comment", {**_comment("issue_comment"), "action": "edited"}, "edited"),
        ("issue_comment", _comment("issue_comment", user={"login": "b", "type": "Bot"}), "bot"),
        ("issue_comment", _comment("issue_comment", author_association="NONE"), "write access"),
        (
            "pull_request_review_comment",
            _comment("review", path="a.py", author_association="CONTRIBUTOR"),
            "write access",
        ),
        ("star", {"action": "created"}, "not used"),
        ("ping", {"zen": "Keep it logically awesome."}, "not used"),
    ],
)
def test_other_deliveries_are_ignored_with_a_reason(event: str, payload: Any, why: str) -> None:
    what = wh.interpret(event, payload)
    assert isinstance(what, wh.Ignored) and why in what.reason


def test_follow_up_text_quotes_the_reviewer_and_the_place() -> None:
    c = wh.Comment(5, 9, 3, "rita", "use a constant", "https://x/c", "shop.py", 12)
    title, body = wh.follow_up_text(c)
    assert title == "Address review comment on PR #3"
    assert "rita" in body and "`shop.py` line 12" in body and body.endswith("use a constant")
    long = wh.Comment(5, 9, 3, "rita", "x" * 30000, "https://x/c")
    assert len(wh.follow_up_text(long)[1]) == 20000


GH013 = """remote: error: GH013: Repository rule violations found for refs/heads/devforge/x.
remote:
remote: - GITHUB PUSH PROTECTION
remote:   —————————————————————————————————————————
remote:     Resolve the following violations before pushing again
remote:
remote:     - Push cannot contain secrets
To https://github.com/acme/shop.git
 ! [remote rejected] HEAD -> devforge/x (push declined due to repository rule violations)
error: failed to push some refs to 'https://github.com/acme/shop.git'
"""


def test_push_protection_reason_is_githubs() -> None:
    reason = rejection(GH013)
    assert reason is not None
    assert reason.startswith("error: GH013: Repository rule violations found for refs/heads/")
    assert "Push cannot contain secrets" in reason


def test_other_push_failures_are_not_rejections() -> None:
    assert rejection("fatal: unable to access 'https://x/': Could not resolve host: x") is None
    assert rejection(" ! [rejected] HEAD -> main (non-fast-forward)") is None


def test_the_token_travels_as_a_header_scoped_to_the_forge() -> None:
    env = gitauth.env_for("https://github.com/acme/shop.git", "ghs_abc")
    assert env["GIT_CONFIG_COUNT"] == "1"
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraHeader"
    scheme, value = env["GIT_CONFIG_VALUE_0"].removeprefix("Authorization: ").split()
    assert (scheme, base64.b64decode(value)) == ("Basic", b"x-access-token:ghs_abc")
    assert gitauth.origin_of("http://127.0.0.1:8080/git/a/b.git") == "http://127.0.0.1:8080/"


@pytest.mark.parametrize(
    "url", ["https://user:pw@github.com/a/b.git", "git@github.com:a/b.git", "file:///srv/a"]
)
def test_clone_urls_with_credentials_or_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        gitauth.env_for(url, "ghs_abc")
