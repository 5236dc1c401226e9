"""Exact money amounts.

:class:`Money` wraps a :class:`decimal.Decimal` amount and an ISO 4217
currency code.  Amounts are always quantized to the minor unit of their
currency, arithmetic between different currencies raises
:class:`CurrencyMismatch`, and splitting an amount never loses or creates a
cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

#: Number of decimal places of the minor unit for the currencies we know.
MINOR_UNITS = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "AUD": 2,
    "SEK": 2,
    "NOK": 2,
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
    "BHD": 3,
    "KWD": 3,
}

SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3", "JPY": "\u00a5", "CHF": "CHF "}

DEFAULT_CURRENCY = "USD"


class CurrencyMismatch(ValueError):
    """Raised when combining amounts of different currencies."""


def _quantum(currency: str) -> Decimal:
    places = MINOR_UNITS.get(currency, 2)
    return Decimal(1).scaleb(-places)


def to_decimal(value: object) -> Decimal:
    """Convert ``value`` (str, int, Decimal) to a Decimal.

    Floats are refused because they cannot represent most decimal amounts
    exactly.  Thousands separators (``,`` and ``_``) are allowed in strings.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("booleans are not amounts")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise TypeError("use a string or Decimal, not a float, for money")
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
    raise TypeError(f"cannot convert {type(value).__name__} to an amount")


@dataclass(frozen=True, order=False)
class Money:
    """An amount of money in one currency."""

    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __init__(self, amount: object = 0, currency: str = DEFAULT_CURRENCY) -> None:
        code = currency.upper()
        value = to_decimal(amount).quantize(_quantum(code), rounding=ROUND_HALF_EVEN)
        object.__setattr__(self, "amount", value)
        object.__setattr__(self, "currency", code)

    # -- construction -------------------------------------------------------

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        """Return zero in ``currency``."""
        return cls(0, currency)

    @classmethod
    def from_minor(cls, units: int, currency: str = DEFAULT_CURRENCY) -> Money:
        """Build an amount from an integer number of minor units (cents)."""
        return cls(Decimal(units).scaleb(-MINOR_UNITS.get(currency.upper(), 2)), currency)

    # -- conversions --------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount as an integer number of minor units (cents)."""
        return int(self.amount.scaleb(MINOR_UNITS.get(self.currency, 2)))

    def format(self, *, symbol: bool = True) -> str:
        """Format with thousands separators, e.g. ``$1,234.50`` or ``-€3.00``."""
        places = MINOR_UNITS.get(self.currency, 2)
        digits = f"{abs(self.amount):,.{places}f}"
        sign = "-" if self.amount < 0 else ""
        if symbol and self.currency in SYMBOLS:
            return f"{sign}{SYMBOLS[self.currency]}{digits}"
        return f"{sign}{digits} {self.currency}"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    # -- arithmetic ---------------------------------------------------------

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("can only combine Money with Money")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")

    def __add__(self, other: Money) -> Money:
        if isinstance(other, int) and other == 0:
            return self
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __radd__(self, other: object) -> Money:
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Money):
            raise TypeError("cannot multiply money by money")
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __bool__(self) -> bool:
        return self.amount != 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int) and other == 0:
            return self.amount == 0
        if not isinstance(other, Money):
            return NotImplemented
        return self.amount == other.amount and self.currency == other.currency

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def is_negative(self) -> bool:
        """Return True for amounts below zero."""
        return self.amount < 0

    def round_to(self, step: object) -> Money:
        """Round to a multiple of ``step`` (e.g. ``"0.05"`` for cash rounding)."""
        increment = to_decimal(step)
        if increment <= 0:
            raise ValueError("step must be positive")
        units = (self.amount / increment).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return Money(units * increment, self.currency)

    # -- splitting ----------------------------------------------------------

    def allocate(self, ratios: Sequence[object]) -> list[Money]:
        """Split the amount in proportion to ``ratios`` without losing a cent.

        Each share is first rounded down to whole minor units; the cents left
        over are then handed out one at a time, so that the shares always add
        up to the original amount and no two shares of equal weight differ by
        more than one cent.  ``Money("0.10").allocate([1, 1, 1, 1])`` gives
        three cents to the first two shares and two cents to the others.
        """
        weights = [to_decimal(r) for r in ratios]
        if not weights:
            raise ValueError("need at least one ratio")
        if any(w < 0 for w in weights):
            raise ValueError("ratios must not be negative")
        total_weight = sum(weights)
        if total_weight == 0:
            raise ValueError("ratios must not all be zero")
        total = self.minor_units
        shares = [int(total * w / total_weight) for w in weights]
        remainder = total - sum(shares)
        shares[-1] += remainder
        return [Money.from_minor(s, self.currency) for s in shares]

    def split_evenly(self, parts: int) -> list[Money]:
        """Split into ``parts`` shares that differ by at most one cent.

        The larger shares come first: ``Money("10.00").split_evenly(3)`` is
        ``[3.34, 3.33, 3.33]``.
        """
        if parts <= 0:
            raise ValueError("parts must be positive")
        base, remainder = divmod(self.minor_units, parts)
        shares = [base] * parts
        shares[-1] += remainder
        return [Money.from_minor(s, self.currency) for s in shares]


def total(amounts: Iterable[Money], currency: str | None = None) -> Money:
    """Add up ``amounts``; an empty iterable gives zero in ``currency``."""
    result: Money | None = None
    for amount in amounts:
        result = amount if result is None else result + amount
    if result is None:
        return Money.zero(currency or DEFAULT_CURRENCY)
    return result


def parse_money(text: str, default_currency: str = DEFAULT_CURRENCY) -> Money:
    """Parse ``"12.50 EUR"``, ``"EUR 12.50"``, ``"$1,200"`` or ``"-3"``."""
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("empty amount")
    for code, sym in SYMBOLS.items():
        sym = sym.strip()
        if sym and sym in cleaned and not sym.isalpha():
            return Money(cleaned.replace(sym, "").strip(), code)
    parts = cleaned.split()
    if len(parts) == 2:
        first, second = parts
        if first.isalpha():
            return Money(second, first)
        if second.isalpha():
            return Money(first, second)
        raise ValueError(f"cannot parse amount {text!r}")
    return Money(cleaned, default_currency)
