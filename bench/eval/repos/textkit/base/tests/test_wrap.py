from textkit.strings import justify_line, truncate, truncate_middle, truncate_words, wrap_text


def test_wrap_long_word_gets_own_line():
    assert wrap_text("a supercalifragilistic b", 5) == ["a", "supercalifragilistic", "b"]


def test_wrap_empty():
    assert wrap_text("   ", 10) == []


def test_truncate():
    assert truncate("hello world", 8) == "hello..."
    assert truncate("short", 10) == "short"
    assert truncate("abcdef", 2) == ".."


def test_truncate_words_and_middle():
    assert truncate_words("the quick brown fox", 14) == "the quick..."
    assert truncate_middle("abcdefghij", 7) == "ab...ij"


def test_justify_line():
    assert justify_line("a b c", 8) == "a   b  c"
