from decimal import Decimal

import pytest

from ledger.money import CurrencyMismatch, Money, parse_money, total


def test_quantized_to_minor_unit():
    assert Money("1.005").amount == Decimal("1.00")
    assert Money("1.015").amount == Decimal("1.02")
    assert Money("12", "JPY").amount == Decimal("12")


def test_currency_mismatch():
    with pytest.raises(CurrencyMismatch):
        Money("1", "USD") + Money("1", "EUR")


def test_float_refused():
    with pytest.raises(TypeError):
        Money(0.1)


def test_allocate_keeps_total():
    shares = Money("100.00").allocate([1, 2, 3])
    assert sum(shares[1:], shares[0]) == Money("100.00")


def test_format_and_parse():
    assert Money("-1234.5", "EUR").format() == "-\u20ac1,234.50"
    assert parse_money("12.5 EUR") == Money("12.50", "EUR")
    assert parse_money("$1,200") == Money("1200")
    assert total([], "GBP") == Money(0, "GBP")
