import pytest

from textkit.strings import int_to_roman, number_to_words, ordinal, pluralize, roman_to_int


@pytest.mark.parametrize("n", [1, 4, 9, 14, 40, 90, 400, 1994, 2024, 3999])
def test_roman_round_trip(n):
    assert roman_to_int(int_to_roman(n)) == n


def test_roman_lower_case():
    assert roman_to_int("xlii") == 42


def test_int_to_roman_range():
    with pytest.raises(ValueError):
        int_to_roman(0)


def test_ordinal():
    assert [ordinal(n) for n in (1, 2, 3, 11, 12, 13, 21, 112)] == [
        "1st", "2nd", "3rd", "11th", "12th", "13th", "21st", "112th",
    ]


def test_number_words():
    assert number_to_words(1_002_345) == "one million two thousand three hundred and forty-five"


def test_pluralize():
    assert [pluralize(w) for w in ("cat", "box", "city", "Knife", "child")] == [
        "cats", "boxes", "cities", "Knives", "children",
    ]
