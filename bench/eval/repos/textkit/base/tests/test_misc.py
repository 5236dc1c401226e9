from textkit.strings import common_prefix, levenshtein, natural_sort, shell_quote, split_quoted


def test_levenshtein():
    assert levenshtein("kitten", "sitting") == 3


def test_split_quoted_round_trip():
    words = ["cp", "my file.txt", "it's", ""]
    assert split_quoted(" ".join(shell_quote(w) for w in words)) == words


def test_common_prefix():
    assert common_prefix(["interspecies", "interstellar", "interstate"]) == "inters"
    assert common_prefix([]) == ""
    assert common_prefix(["same", "same"]) == "same"


def test_natural_sort():
    assert natural_sort(["v1.10", "v1.9", "v1.2"]) == ["v1.2", "v1.9", "v1.10"]
