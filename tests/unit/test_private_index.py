"""The operator's file of tenants' private indexes: read strictly, credentials into a header."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from shared.private_index import PrivateIndex, PrivateIndexError, load, same_index


def test_a_tenants_index_with_a_password_or_a_token(tmp_path: Path) -> None:
    f = tmp_path / "indexes.toml"
    f.write_text(
        '[tenants.acme]\nurl = "https://pypi.acme.example/simple"\nusername = "ci"\n'
        'password = "pw"\n[tenants.beta]\nurl = "http://idx.beta:8080/s/"\ntoken = "tok"\n'
    )
    acme = load(f, "acme")
    assert acme == PrivateIndex(
        "https://pypi.acme.example/simple", "Basic " + base64.b64encode(b"ci:pw").decode()
    )
    assert acme.origin == "https://pypi.acme.example"
    assert acme.inner_url() == "http://127.0.0.1:3129/simple"
    assert load(f, "beta") == PrivateIndex("http://idx.beta:8080/s/", "Bearer tok")
    assert load(f, "gamma") is None and load(None, "acme") is None
    assert same_index("https://x/simple/", "https://x/simple")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[tenants.acme]\nusername = 'a'\n", "needs a url"),
        ("[tenants.acme]\nurl = 'https://u:p@x/simple'\ntoken = 't'\n", "without credentials"),
        ("[tenants.acme]\nurl = 'ftp://x/simple'\ntoken = 't'\n", "must be http(s)"),
        ("[tenants.acme]\nurl = 'https://x/simple'\n", "username and password, or a token"),
        ("[tenants.acme\n", "private indexes file"),
    ],
)
def test_a_bad_entry_is_refused_naming_it(tmp_path: Path, text: str, problem: str) -> None:
    f = tmp_path / "indexes.toml"
    f.write_text(text)
    with pytest.raises(PrivateIndexError) as err:
        load(f, "acme")
    assert problem in str(err.value)
