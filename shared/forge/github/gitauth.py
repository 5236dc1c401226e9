"""How an installation token reaches git: as an ``http.<origin>/.extraHeader`` set through the
``GIT_CONFIG_*`` environment of the one git call that needs it. Pure.

git reads ``GIT_CONFIG_COUNT`` / ``GIT_CONFIG_KEY_n`` / ``GIT_CONFIG_VALUE_n`` like ``-c`` options
(but unlike ``-c`` they do not show in the process's command line) and writes them nowhere: no
``.git/config``, no credential store, no URL with a password in it. The header is scoped to the
forge's origin, so a redirect or a submodule on another host never receives it.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit


def origin_of(url: str) -> str:
    """``scheme://host[:port]/`` of a clone URL; a URL with a user or password is refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"not an http(s) clone URL: {url!r}")
    if parts.username or parts.password:
        raise ValueError("a clone URL must not carry credentials")
    return f"{parts.scheme}://{parts.netloc}/"


def basic_header(token: str) -> str:
    """The header GitHub accepts for an installation token over git's HTTP protocol."""
    pair = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return f"Authorization: Basic {pair}"


def env_for(url: str, token: str) -> dict[str, str]:
    """Environment for one git call that talks to ``url`` with ``token``."""
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{origin_of(url)}.extraHeader",
        "GIT_CONFIG_VALUE_0": basic_header(token),
    }
