"""What the gateway refuses up front, named by where it is."""

from __future__ import annotations

from shared.inputs import body_problem, query_problem


def test_query_parameters_with_nul_or_surrogates_are_named() -> None:
    assert query_problem([("q", "health"), ("status", "open")]) is None
    assert query_problem([("q", "a\x00")]) == "query parameter 'q' holds a NUL character"
    assert query_problem([("q\x00", "x")]) == "query parameter 'q\\x00' holds a NUL character"
    assert "lone surrogate" in str(query_problem([("t", "\ud800")]))


def test_body_values_are_named_by_their_path() -> None:
    assert body_problem(b'{"a": [1, 2.5, "x", {"b": null}]}') is None
    assert body_problem(b"not json") is None  # the route's own validation answers that
    assert body_problem(b'{"a": NaN}') == "body.a holds NaN (not a JSON number)"
    assert body_problem(b'{"a": [0, -Infinity]}') == "body.a[1] holds -Infinity (not a JSON number)"
    assert "body.a holds a number too large" in str(body_problem(b'{"a": 1e999}'))
    assert body_problem(b'{"a": {"b": "x\\u0000"}}') == "body.a.b holds a NUL character"
    assert body_problem(b'{"\\ud800": 1}') == "a key of body holds a lone surrogate"
    assert body_problem(b'{"n": ' + b"7" * 5000 + b"}") == (
        "body holds a number with too many digits"
    )
    deep = b"[" * 100 + b"]" * 100
    assert "nests deeper than 64" in str(body_problem(deep))
    assert "nests too deeply" in str(body_problem(b"[" * 50_000 + b"]" * 50_000))
