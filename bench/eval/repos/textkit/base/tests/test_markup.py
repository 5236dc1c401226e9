import pytest

from textkit.strings import (
    ConflictParseError,
    find_heredocs,
    has_conflicts,
    parse_conflicts,
    render,
    resolve_conflicts,
    slugify,
)

MERGED = """\
first
<<<<<<< HEAD
ours 1
ours 2
=======
theirs 1
>>>>>>> feature
last
"""


def test_parse_simple_conflict():
    (conflict,) = parse_conflicts(MERGED)
    assert conflict.start == 2
    assert conflict.ours == ["ours 1", "ours 2"]
    assert conflict.theirs == ["theirs 1"]
    assert conflict.ours_label == "HEAD"
    assert conflict.theirs_label == "feature"


def test_resolve_keeps_side():
    assert resolve_conflicts(MERGED, "theirs") == "first\ntheirs 1\nlast\n"
    assert resolve_conflicts(MERGED, "both") == "first\nours 1\nours 2\ntheirs 1\nlast\n"


def test_unclosed_conflict_is_an_error():
    assert has_conflicts("<<<<<<< HEAD\nx\n")
    with pytest.raises(ConflictParseError):
        parse_conflicts("<<<<<<< HEAD\nx\n=======\n")


def test_heredocs_ignore_here_strings():
    script = "cat <<EOF\nhi\nEOF\ntr a b <<< \"$x\"\n"
    docs = find_heredocs(script)
    assert [(d.line, d.delimiter, d.body) for d in docs] == [(1, "EOF", "hi\n")]


def test_render_defaults_and_dollars():
    assert render("Hello $name, you owe $$${amount:-0}", name="Ada") == "Hello Ada, you owe $0"


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("Crème brûlée & café", "_") == "creme_brulee_and_cafe"
