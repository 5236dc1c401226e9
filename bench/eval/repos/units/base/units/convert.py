"""Physical units: parsing, conversion and formatting.

The module knows a registry of units, each described by its dimension (a
vector of exponents of the base dimensions), a scale factor to the coherent
SI unit of that dimension and, for temperature scales, an offset.  On top of
the registry it offers :class:`Quantity` objects with arithmetic, parsing of
strings such as ``"9.81 m/s^2"`` or ``"1h30m"``, and human friendly
formatting of sizes, durations and rates.

Conversions between affine scales (Celsius, Fahrenheit) go through kelvin:
``base = value * factor + offset`` and back with
``value = (base - offset) / factor``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

# ---------------------------------------------------------------------------
# Dimensions
# ---------------------------------------------------------------------------

BASE_DIMENSIONS = ("length", "mass", "time", "temperature", "current", "amount", "luminosity", "information")
_DIM_SYMBOLS = ("L", "M", "T", "\u0398", "I", "N", "J", "B")


class UnitError(ValueError):
    """Raised for unknown units and malformed unit expressions."""


class DimensionError(UnitError):
    """Raised when converting between incompatible dimensions."""


@dataclass(frozen=True)
class Dimension:
    """Exponents of the base dimensions, e.g. velocity is L·T⁻¹."""

    exponents: tuple[int, ...] = (0,) * len(BASE_DIMENSIONS)

    @classmethod
    def of(cls, **powers: int) -> Dimension:
        """Build a dimension from keyword exponents: ``Dimension.of(length=1, time=-1)``."""
        unknown = set(powers) - set(BASE_DIMENSIONS)
        if unknown:
            raise UnitError(f"unknown base dimension(s): {', '.join(sorted(unknown))}")
        return cls(tuple(powers.get(name, 0) for name in BASE_DIMENSIONS))

    def __mul__(self, other: Dimension) -> Dimension:
        return Dimension(tuple(a + b for a, b in zip(self.exponents, other.exponents, strict=True)))

    def __truediv__(self, other: Dimension) -> Dimension:
        return Dimension(tuple(a - b for a, b in zip(self.exponents, other.exponents, strict=True)))

    def __pow__(self, power: int) -> Dimension:
        return Dimension(tuple(a * power for a in self.exponents))

    @property
    def dimensionless(self) -> bool:
        """True when every exponent is zero."""
        return not any(self.exponents)

    def __str__(self) -> str:
        parts = []
        for symbol, exponent in zip(_DIM_SYMBOLS, self.exponents, strict=True):
            if exponent == 1:
                parts.append(symbol)
            elif exponent:
                parts.append(f"{symbol}^{exponent}")
        return "\u00b7".join(parts) or "1"


DIMENSIONLESS = Dimension()
LENGTH = Dimension.of(length=1)
MASS = Dimension.of(mass=1)
TIME = Dimension.of(time=1)
TEMPERATURE = Dimension.of(temperature=1)
CURRENT = Dimension.of(current=1)
AMOUNT = Dimension.of(amount=1)
LUMINOSITY = Dimension.of(luminosity=1)
INFORMATION = Dimension.of(information=1)
AREA = LENGTH**2
VOLUME = LENGTH**3
VELOCITY = LENGTH / TIME
ACCELERATION = VELOCITY / TIME
FORCE = MASS * ACCELERATION
ENERGY = FORCE * LENGTH
POWER = ENERGY / TIME
PRESSURE = FORCE / AREA
FREQUENCY = DIMENSIONLESS / TIME
DATA_RATE = INFORMATION / TIME
CHARGE = CURRENT * TIME
VOLTAGE = POWER / CURRENT

DIMENSION_NAMES = {
    DIMENSIONLESS: "dimensionless",
    LENGTH: "length",
    MASS: "mass",
    TIME: "time",
    TEMPERATURE: "temperature",
    CURRENT: "current",
    AMOUNT: "amount of substance",
    LUMINOSITY: "luminous intensity",
    INFORMATION: "information",
    AREA: "area",
    VOLUME: "volume",
    VELOCITY: "velocity",
    ACCELERATION: "acceleration",
    FORCE: "force",
    ENERGY: "energy",
    POWER: "power",
    PRESSURE: "pressure",
    FREQUENCY: "frequency",
    DATA_RATE: "data rate",
    CHARGE: "electric charge",
    VOLTAGE: "voltage",
}


def dimension_name(dimension: Dimension) -> str:
    """Return a human name for ``dimension`` or its formula when unnamed."""
    return DIMENSION_NAMES.get(dimension, str(dimension))


# ---------------------------------------------------------------------------
# Units and the registry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A unit: ``value_in_base = value * factor + offset``."""

    symbol: str
    name: str
    dimension: Dimension
    factor: float = 1.0
    offset: float = 0.0

    @property
    def is_affine(self) -> bool:
        """True for scales with an offset (Celsius, Fahrenheit)."""
        return self.offset != 0.0

    def to_base(self, value: float) -> float:
        """Convert ``value`` in this unit to the coherent SI unit."""
        return value * self.factor + self.offset

    def from_base(self, value: float) -> float:
        """Convert ``value`` in the coherent SI unit to this unit."""
        return (value - self.offset) / self.factor

    def __mul__(self, other: Unit) -> Unit:
        if self.is_affine or other.is_affine:
            raise UnitError("cannot combine affine units")
        return Unit(
            f"{self.symbol}*{other.symbol}",
            f"{self.name} {other.name}",
            self.dimension * other.dimension,
            self.factor * other.factor,
        )

    def __truediv__(self, other: Unit) -> Unit:
        if self.is_affine or other.is_affine:
            raise UnitError("cannot combine affine units")
        return Unit(
            f"{self.symbol}/{other.symbol}",
            f"{self.name} per {other.name}",
            self.dimension / other.dimension,
            self.factor / other.factor,
        )

    def __pow__(self, power: int) -> Unit:
        if self.is_affine:
            raise UnitError("cannot raise an affine unit to a power")
        return Unit(
            f"{self.symbol}^{power}",
            f"{self.name}^{power}",
            self.dimension**power,
            self.factor**power,
        )


SI_PREFIXES = {
    "Y": 1e24,
    "Z": 1e21,
    "E": 1e18,
    "P": 1e15,
    "T": 1e12,
    "G": 1e9,
    "M": 1e6,
    "k": 1e3,
    "h": 1e2,
    "da": 1e1,
    "d": 1e-1,
    "c": 1e-2,
    "m": 1e-3,
    "u": 1e-6,
    "\u00b5": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
}

BINARY_PREFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}

_F_OFFSET = 459.67 * 5 / 9


class Registry:
    """A set of named units with prefix support.

    Units registered with ``prefixable=True`` accept SI prefixes (``km``,
    ``mg``, ``µs``); information units additionally accept binary prefixes
    (``KiB``, ``GiB``).  Lookups try the exact symbol, then aliases, then
    prefixed forms.
    """

    def __init__(self) -> None:
        self._units: dict[str, Unit] = {}
        self._aliases: dict[str, str] = {}
        self._prefixable: set[str] = set()
        self._binary: set[str] = set()

    def define(
        self,
        unit: Unit,
        *aliases: str,
        prefixable: bool = False,
        binary: bool = False,
    ) -> Unit:
        """Register ``unit`` under its symbol, its name and ``aliases``."""
        if unit.symbol in self._units:
            raise UnitError(f"unit {unit.symbol!r} is already defined")
        self._units[unit.symbol] = unit
        for alias in (unit.name, f"{unit.name}s", *aliases):
            self._aliases.setdefault(alias, unit.symbol)
        if prefixable:
            self._prefixable.add(unit.symbol)
        if binary:
            self._binary.add(unit.symbol)
        return unit

    def __contains__(self, symbol: str) -> bool:
        try:
            self.get(symbol)
        except UnitError:
            return False
        return True

    def symbols(self) -> list[str]:
        """Return the registered symbols (without prefixed forms), sorted."""
        return sorted(self._units)

    def get(self, symbol: str) -> Unit:
        """Return the unit named ``symbol``, understanding prefixes and aliases."""
        text = symbol.strip()
        if text in self._units:
            return self._units[text]
        if text in self._aliases:
            return self._units[self._aliases[text]]
        lowered = text.lower()
        if lowered in self._aliases:
            return self._units[self._aliases[lowered]]
        for prefix, factor in BINARY_PREFIXES.items():
            base = text[len(prefix) :]
            if text.startswith(prefix) and base in self._binary:
                unit = self._units[base]
                return Unit(text, f"{prefix}{unit.name}", unit.dimension, unit.factor * factor)
        for prefix, factor in sorted(SI_PREFIXES.items(), key=lambda item: -len(item[0])):
            base = text[len(prefix) :]
            if text.startswith(prefix) and base in self._prefixable:
                unit = self._units[base]
                return Unit(text, f"{prefix}{unit.name}", unit.dimension, unit.factor * factor)
        raise UnitError(f"unknown unit {symbol!r}")

    def compatible(self, dimension: Dimension) -> list[Unit]:
        """Return the registered units of ``dimension``."""
        return [u for u in self._units.values() if u.dimension == dimension]


def default_registry() -> Registry:
    """Build the registry of commonly used units."""
    r = Registry()
    # length
    r.define(Unit("m", "metre", LENGTH), "meter", "meters", "metres", prefixable=True)
    r.define(Unit("in", "inch", LENGTH, 0.0254), "inches", '"')
    r.define(Unit("ft", "foot", LENGTH, 0.3048), "feet", "'")
    r.define(Unit("yd", "yard", LENGTH, 0.9144))
    r.define(Unit("mi", "mile", LENGTH, 1609.344))
    r.define(Unit("nmi", "nautical mile", LENGTH, 1852.0))
    r.define(Unit("au", "astronomical unit", LENGTH, 149_597_870_700.0))
    r.define(Unit("ly", "light year", LENGTH, 9_460_730_472_580_800.0))
    # mass
    r.define(Unit("g", "gram", MASS, 1e-3), "gramme", prefixable=True)
    r.define(Unit("t", "tonne", MASS, 1000.0), "metric ton")
    r.define(Unit("lb", "pound", MASS, 0.45359237), "lbs")
    r.define(Unit("oz", "ounce", MASS, 0.028349523125))
    r.define(Unit("st", "stone", MASS, 6.35029318))
    # time
    r.define(Unit("s", "second", TIME), "sec", "secs", prefixable=True)
    r.define(Unit("min", "minute", TIME, 60.0), "mins")
    r.define(Unit("h", "hour", TIME, 3600.0), "hr", "hrs")
    r.define(Unit("d", "day", TIME, 86400.0))
    r.define(Unit("wk", "week", TIME, 604800.0))
    r.define(Unit("yr", "year", TIME, 31_557_600.0), "a")
    # temperature
    r.define(Unit("K", "kelvin", TEMPERATURE), prefixable=True)
    r.define(Unit("degC", "celsius", TEMPERATURE, 1.0, 273.15), "\u00b0C", "C")
    r.define(Unit("degF", "fahrenheit", TEMPERATURE, 5 / 9, 273.15 - 32 * 5 / 9), "\u00b0F", "F")
    r.define(Unit("degR", "rankine", TEMPERATURE, 5 / 9), "\u00b0R", "R")
    # other base units
    r.define(Unit("A", "ampere", CURRENT), "amp", "amps", prefixable=True)
    r.define(Unit("mol", "mole", AMOUNT), prefixable=True)
    r.define(Unit("cd", "candela", LUMINOSITY))
    r.define(Unit("bit", "bit", INFORMATION, 1.0), "bits", "b", prefixable=True, binary=True)
    r.define(Unit("B", "byte", INFORMATION, 8.0), "bytes", "octet", prefixable=True, binary=True)
    # derived units
    r.define(Unit("L", "litre", VOLUME, 1e-3), "liter", "l", prefixable=True)
    r.define(Unit("gal", "US gallon", VOLUME, 3.785411784e-3), "gallon", "gallons")
    r.define(Unit("ha", "hectare", AREA, 1e4))
    r.define(Unit("acre", "acre", AREA, 4046.8564224))
    r.define(Unit("N", "newton", FORCE), prefixable=True)
    r.define(Unit("J", "joule", ENERGY), prefixable=True)
    r.define(Unit("cal", "calorie", ENERGY, 4.184), prefixable=True)
    r.define(Unit("Wh", "watt hour", ENERGY, 3600.0), prefixable=True)
    r.define(Unit("eV", "electronvolt", ENERGY, 1.602176634e-19), prefixable=True)
    r.define(Unit("W", "watt", POWER), prefixable=True)
    r.define(Unit("hp", "horsepower", POWER, 745.69987158227022))
    r.define(Unit("Pa", "pascal", PRESSURE), prefixable=True)
    r.define(Unit("bar", "bar", PRESSURE, 1e5), prefixable=True)
    r.define(Unit("atm", "atmosphere", PRESSURE, 101_325.0))
    r.define(Unit("psi", "pound per square inch", PRESSURE, 6894.757293168361))
    r.define(Unit("mmHg", "millimetre of mercury", PRESSURE, 133.322387415))
    r.define(Unit("Hz", "hertz", FREQUENCY), prefixable=True)
    r.define(Unit("rpm", "revolution per minute", FREQUENCY, 1 / 60))
    r.define(Unit("C_", "coulomb", CHARGE), prefixable=True)
    r.define(Unit("V", "volt", VOLTAGE), prefixable=True)
    r.define(Unit("kn", "knot", VELOCITY, 1852 / 3600), "kt", "knots")
    r.define(Unit("mph", "mile per hour", VELOCITY, 1609.344 / 3600))
    r.define(Unit("kph", "kilometre per hour", VELOCITY, 1000 / 3600), "km/h")
    r.define(Unit("pct", "percent", DIMENSIONLESS, 0.01), "%")
    r.define(Unit("ppm", "part per million", DIMENSIONLESS, 1e-6))
    return r


REGISTRY = default_registry()


def get_unit(unit: Unit | str, registry: Registry | None = None) -> Unit:
    """Return ``unit`` itself or the unit expression it names."""
    if isinstance(unit, Unit):
        return unit
    return parse_unit(unit, registry)


# ---------------------------------------------------------------------------
# Unit expressions
# ---------------------------------------------------------------------------

_UNIT_TOKEN = re.compile(r"\s*(?:(?P<op>[*/·])|(?P<paren>[()])|(?P<name>[^\s*/·^()]+)(?:\^(?P<power>-?\d+))?)")
_SUPERSCRIPTS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b", "0123456789-")


def _normalize_expression(text: str) -> str:
    # m² -> m^2, m⁻¹ -> m^-1, "per" -> "/"
    text = re.sub(r"([\u2070\u00b9\u00b2\u00b3\u2074-\u2079\u207b]+)", lambda m: "^" + m.group(1).translate(_SUPERSCRIPTS), text)
    text = re.sub(r"\s+per\s+", "/", text)
    return text.replace("**", "^")


def parse_unit(text: str, registry: Registry | None = None) -> Unit:
    """Parse a unit expression such as ``"km/h"``, ``"kg*m/s^2"`` or ``"m²"``.

    Multiplication is written ``*`` or ``·``, division ``/`` (everything after
    a ``/`` up to the next ``/`` or closing parenthesis is in the denominator,
    so ``J/kg/K`` means J·kg⁻¹·K⁻¹), powers ``^n`` or with superscripts, and
    parentheses group.  The word ``per`` is accepted for ``/``.
    """
    registry = registry or REGISTRY
    source = _normalize_expression(text.strip())
    if not source:
        raise UnitError("empty unit expression")
    if source in registry:
        return registry.get(source)
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(source):
        match = _UNIT_TOKEN.match(source, pos)
        if not match or match.end() == pos:
            raise UnitError(f"cannot parse unit {text!r} at {source[pos:]!r}")
        pos = match.end()
        if match.group("op"):
            tokens.append(("op", "/" if match.group("op") == "/" else "*", 0))
        elif match.group("paren"):
            tokens.append(("paren", match.group("paren"), 0))
        elif match.group("name"):
            tokens.append(("name", match.group("name"), int(match.group("power") or 1)))
    result, index = _parse_product(tokens, 0, registry, text)
    if index != len(tokens):
        raise UnitError(f"unbalanced parentheses in {text!r}")
    return Unit(text.strip(), result.name, result.dimension, result.factor, result.offset)


def _parse_product(
    tokens: list[tuple[str, str, int]], index: int, registry: Registry, text: str
) -> tuple[Unit, int]:
    result: Unit | None = None
    dividing = False
    while index < len(tokens):
        kind, value, power = tokens[index]
        if kind == "paren" and value == ")":
            break
        if kind == "op":
            dividing = value == "/"
            index += 1
            continue
        if kind == "paren":
            factor, index = _parse_product(tokens, index + 1, registry, text)
            if index >= len(tokens) or tokens[index][1] != ")":
                raise UnitError(f"unbalanced parentheses in {text!r}")
            index += 1
        else:
            factor = registry.get(value)
            if power != 1:
                factor = factor**power
            index += 1
        if result is None:
            result = factor if not dividing else Unit("1", "one", DIMENSIONLESS) / factor
        else:
            result = result / factor if dividing else result * factor
    if result is None:
        raise UnitError(f"empty unit expression in {text!r}")
    return result, index


# ---------------------------------------------------------------------------
# Conversion
# ---------------------------------------------------------------------------


def convert(value: float, source: Unit | str, target: Unit | str, *, delta: bool = False) -> float:
    """Convert ``value`` from ``source`` units to ``target`` units.

    Raises :class:`DimensionError` when the units measure different things.
    With ``delta`` true the value is a difference (a temperature change of
    10 °C is a change of 18 °F, not 50 °F), so offsets are ignored.
    """
    src = get_unit(source)
    dst = get_unit(target)
    if src.dimension != dst.dimension:
        raise DimensionError(
            f"cannot convert {dimension_name(src.dimension)} ({src.symbol}) "
            f"to {dimension_name(dst.dimension)} ({dst.symbol})"
        )
    if delta:
        return value * src.factor / dst.factor
    return dst.from_base(src.to_base(value))


def conversion_factor(source: Unit | str, target: Unit | str) -> float:
    """Return the factor ``f`` with ``value_in_target = value_in_source * f``.

    Only defined for non-affine units.
    """
    src = get_unit(source)
    dst = get_unit(target)
    if src.is_affine or dst.is_affine:
        raise UnitError("affine units have no single conversion factor")
    if src.dimension != dst.dimension:
        raise DimensionError(f"cannot convert {src.symbol} to {dst.symbol}")
    return src.factor / dst.factor


def approx_equal(a: float, b: float, *, rel: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """Compare floats the way conversions need: relative with an absolute floor."""
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


# ---------------------------------------------------------------------------
# Quantities
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A value together with its unit."""

    value: float
    unit: Unit

    @classmethod
    def of(cls, value: float, unit: Unit | str) -> Quantity:
        """Build a quantity from a value and a unit or unit expression."""
        return cls(float(value), get_unit(unit))

    @property
    def dimension(self) -> Dimension:
        """The dimension of the quantity's unit."""
        return self.unit.dimension

    def to(self, target: Unit | str) -> Quantity:
        """Return the same quantity expressed in ``target`` units."""
        unit = get_unit(target)
        return Quantity(convert(self.value, self.unit, unit), unit)

    def to_base(self) -> float:
        """Return the value in the coherent SI unit."""
        return self.unit.to_base(self.value)

    def _coerce(self, other: Quantity) -> float:
        if not isinstance(other, Quantity):
            raise TypeError("expected a Quantity")
        if other.dimension != self.dimension:
            raise DimensionError(
                f"cannot combine {dimension_name(self.dimension)} and {dimension_name(other.dimension)}"
            )
        return convert(other.value, other.unit, self.unit, delta=self.unit.is_affine)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + self._coerce(other), self.unit)

    def __sub__(self, other: Quantity) -> Quantity:
        if self.unit.is_affine and other.unit.is_affine:
            # the difference of two temperatures is a temperature difference
            return Quantity(self.value - convert(other.value, other.unit, self.unit), self.unit)
        return Quantity(self.value - self._coerce(other), self.unit)

    def __mul__(self, other: float | Quantity) -> Quantity:
        if isinstance(other, Quantity):
            return Quantity(self.value * other.value, self.unit * other.unit)
        return Quantity(self.value * other, self.unit)

    __rmul__ = __mul__

    def __truediv__(self, other: float | Quantity) -> Quantity:
        if isinstance(other, Quantity):
            return Quantity(self.value / other.value, self.unit / other.unit)
        return Quantity(self.value / other, self.unit)

    def __neg__(self) -> Quantity:
        return Quantity(-self.value, self.unit)

    def __abs__(self) -> Quantity:
        return Quantity(abs(self.value), self.unit)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        if other.dimension != self.dimension:
            return False
        return approx_equal(self.to_base(), other.to_base())

    def __lt__(self, other: Quantity) -> bool:
        return self.value < self._coerce(other)

    def __le__(self, other: Quantity) -> bool:
        return self == other or self < other

    def __hash__(self) -> int:
        return hash((round(self.to_base(), 9), self.dimension))

    def __str__(self) -> str:
        return format_quantity(self)

    def is_close(self, other: Quantity, rel: float = 1e-6) -> bool:
        """Return True if ``other`` is within a relative tolerance of this quantity."""
        return approx_equal(self.value, self._coerce(other), rel=rel)


_QUANTITY = re.compile(
    r"^\s*(?P<number>[-+]?(?:\d[\d_,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>.*?)\s*$"
)


def parse_quantity(text: str, default_unit: Unit | str | None = None) -> Quantity:
    """Parse ``"3.5 km"``, ``"-40 °C"``, ``"9.81 m/s^2"`` or ``"1,200 ft"``.

    A bare number takes ``default_unit``; without one it is an error.
    """
    match = _QUANTITY.match(text)
    if not match:
        raise UnitError(f"cannot parse quantity {text!r}")
    number = float(match.group("number").replace(",", "").replace("_", ""))
    unit_text = match.group("unit")
    if not unit_text:
        if default_unit is None:
            raise UnitError(f"{text!r} has no unit")
        return Quantity.of(number, default_unit)
    return Quantity.of(number, unit_text)


def sum_quantities(quantities: Iterable[Quantity], unit: Unit | str | None = None) -> Quantity:
    """Add up quantities of one dimension, in ``unit`` or the first item's unit."""
    items = list(quantities)
    if not items and unit is None:
        raise ValueError("cannot sum an empty list without a unit")
    target = get_unit(unit) if unit is not None else items[0].unit
    total = 0.0
    for item in items:
        total += item.to(target).value
    return Quantity(total, target)


# ---------------------------------------------------------------------------
# Formatting quantities
# ---------------------------------------------------------------------------

_DISPLAY_SYMBOLS = {"degC": "\u00b0C", "degF": "\u00b0F", "degR": "\u00b0R", "pct": "%"}


def display_symbol(unit: Unit) -> str:
    """Return the symbol used when printing ``unit`` (``°C`` rather than ``degC``)."""
    return _DISPLAY_SYMBOLS.get(unit.symbol, unit.symbol)


def format_quantity(quantity: Quantity) -> str:
    """Format ``quantity`` as ``"<value> <symbol>"``.

    The value is shown with up to six significant digits and no trailing
    zeros; percentages and degrees are written without a space.
    """
    symbol = display_symbol(quantity.unit)
    number = f"{quantity.value:.6g}"
    if symbol in ("%", "\u00b0C", "\u00b0F", "\u00b0R"):
        return f"{number}{symbol}"
    return f"{number} {symbol}"


_HUMANIZE_LADDERS: dict[Dimension, tuple[str, ...]] = {
    LENGTH: ("nm", "um", "mm", "m", "km"),
    MASS: ("mg", "g", "kg", "t"),
    TIME: ("ns", "us", "ms", "s"),
    ENERGY: ("J", "kJ", "MJ", "GJ"),
    POWER: ("mW", "W", "kW", "MW", "GW"),
    FREQUENCY: ("Hz", "kHz", "MHz", "GHz"),
    PRESSURE: ("Pa", "kPa", "MPa"),
}


def best_unit(quantity: Quantity) -> Unit:
    """Pick the unit of the quantity's ladder that gives a value in [1, 1000).

    Quantities with no ladder keep their unit.
    """
    ladder = _HUMANIZE_LADDERS.get(quantity.dimension)
    if not ladder:
        return quantity.unit
    base = abs(quantity.to_base())
    chosen = REGISTRY.get(ladder[0])
    for symbol in ladder:
        unit = REGISTRY.get(symbol)
        if base / unit.factor >= 1:
            chosen = unit
    return chosen


def humanize(quantity: Quantity) -> str:
    """Format ``quantity`` in the most readable unit of its dimension.

    ``humanize(Quantity.of(0.0042, "m"))`` is ``"4.2 mm"``.
    """
    return format_quantity(quantity.to(best_unit(quantity)))


# ---------------------------------------------------------------------------
# Data sizes
# ---------------------------------------------------------------------------

_DECIMAL_SIZE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")
_BINARY_SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def format_bytes(size: int | float, *, binary: bool = True, precision: int = 1) -> str:
    """Format a byte count for humans: ``1536`` is ``"1.5 KiB"``.

    Binary (IEC) units step by 1024, decimal (SI) units by 1000.  Whole
    bytes are printed without decimals; larger units with ``precision``
    decimals.  Negative sizes keep their sign.
    """
    step = 1024 if binary else 1000
    names = _BINARY_SIZE_UNITS if binary else _DECIMAL_SIZE_UNITS
    value = float(size)
    for name in names[:-1]:
        if abs(value) <= step:
            if name == "B":
                return f"{int(value)} B"
            return f"{value:.{precision}f} {name}"
        value /= step
    return f"{value:.{precision}f} {names[-1]}"


_SIZE = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[KMGTPE]?i?B?|[kmgtpe]b?)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Parse a size such as ``"10MB"``, ``"1.5 GiB"``, ``"512k"`` or ``"42"`` into bytes.

    ``KiB``-style units are binary; ``KB``/``kB`` are decimal, as are bare
    letters (``k``, ``M``).  Fractions of a byte are rounded down.
    """
    match = _SIZE.match(text)
    if not match:
        raise UnitError(f"cannot parse size {text!r}")
    number = float(match.group("number"))
    unit = (match.group("unit") or "B").upper()
    if unit in ("", "B"):
        return int(number)
    letter = unit[0]
    power = "KMGTPE".index(letter) + 1
    base = 1024 if "I" in unit else 1000
    return int(number * base**power)


def format_rate(bits_per_second: float, *, precision: int = 1) -> str:
    """Format a data rate in bit/s with SI prefixes: ``"12.5 Mbit/s"``."""
    value = float(bits_per_second)
    for prefix in ("", "k", "M", "G", "T"):
        if abs(value) < 1000 or prefix == "T":
            if not prefix:
                return f"{value:.0f} bit/s"
            return f"{value:.{precision}f} {prefix}bit/s"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def transfer_time(size_bytes: int, bits_per_second: float) -> float:
    """Return the seconds needed to move ``size_bytes`` at ``bits_per_second``."""
    if bits_per_second <= 0:
        raise ValueError("rate must be positive")
    return size_bytes * 8 / bits_per_second


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------

_DURATION_UNITS = {
    "w": 604800,
    "d": 86400,
    "h": 3600,
    "m": 60,
    "s": 1,
    "ms": 0.001,
}
_DURATION_PART = re.compile(r"(\d+)\s*(ms|w|d|h|m|s)", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Parse a duration such as ``"1h30m"``, ``"2d 4h"``, ``"90s"`` or ``"250ms"``.

    Units are ``w``, ``d``, ``h``, ``m``, ``s`` and ``ms``; several parts may
    follow each other, optionally separated by spaces.  A bare number is a
    number of seconds.  Returns seconds as a float.  Anything that is not a
    duration raises :class:`ValueError`.
    """
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return float(cleaned)
    total = 0.0
    pos = 0
    for match in _DURATION_PART.finditer(cleaned):
        if cleaned[pos : match.start()].strip():
            raise ValueError(f"cannot parse duration {text!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
        pos = match.end()
    if cleaned[pos:].strip():
        raise ValueError(f"cannot parse duration {text!r}")
    return total


def format_duration(seconds: float, *, largest: str = "d", parts: int = 2) -> str:
    """Format ``seconds`` as a compact duration: ``5400`` is ``"1h 30m"``.

    At most ``parts`` non-zero components are shown, starting with the
    largest unit no bigger than ``largest``.  Durations under a second are
    shown in milliseconds.
    """
    if seconds < 0:
        return "-" + format_duration(-seconds, largest=largest, parts=parts)
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    order = ["w", "d", "h", "m", "s"]
    if largest not in order:
        raise ValueError(f"unknown unit {largest!r}")
    remaining = round(seconds)
    out = []
    for name in order[order.index(largest) :]:
        size = _DURATION_UNITS[name]
        count, remaining = divmod(remaining, int(size))
        if count:
            out.append(f"{count}{name}")
        if len(out) == parts:
            break
    return " ".join(out) or "0s"


def format_clock(seconds: float) -> str:
    """Format ``seconds`` as ``H:MM:SS`` (hours are not wrapped at 24)."""
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def parse_clock(text: str) -> int:
    """Parse ``H:MM:SS`` or ``MM:SS`` into seconds."""
    parts = text.strip().split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"cannot parse clock time {text!r}")
    numbers = [int(p) for p in parts]
    if any(n >= 60 for n in numbers[1:]):
        raise ValueError(f"minutes and seconds must be below 60 in {text!r}")
    while len(numbers) < 3:
        numbers.insert(0, 0)
    hours, minutes, secs = numbers
    return hours * 3600 + minutes * 60 + secs


# ---------------------------------------------------------------------------
# Temperatures
# ---------------------------------------------------------------------------

#: (factor, offset) of each temperature scale relative to kelvin.
TEMPERATURE_SCALES = {
    "K": (1.0, 0.0),
    "C": (1.0, 273.15),
    "F": (5 / 9, 273.15 - 32 * 5 / 9),
    "R": (5 / 9, 0.0),
}


def _scale(name: str) -> tuple[float, float]:
    key = name.strip().upper().lstrip("\u00b0").removeprefix("DEG")
    key = {"KELVIN": "K", "CELSIUS": "C", "FAHRENHEIT": "F", "RANKINE": "R"}.get(key, key)
    try:
        return TEMPERATURE_SCALES[key]
    except KeyError:
        raise UnitError(f"unknown temperature scale {name!r}") from None


def convert_temperature(value: float, source: str, target: str) -> float:
    """Convert a temperature between kelvin, Celsius, Fahrenheit and Rankine.

    Scales may be given as ``"C"``, ``"°C"``, ``"degC"`` or ``"celsius"``
    (any case).  This is a faster, registry-free equivalent of
    ``convert(value, "degC", "degF")``.  Temperatures below absolute zero
    raise :class:`ValueError`.
    """
    src_factor, src_offset = _scale(source)
    dst_factor, dst_offset = _scale(target)
    kelvin = value * src_factor + src_offset
    if kelvin < -1e-9:
        raise ValueError(f"{value} {source} is below absolute zero")
    return kelvin / dst_factor - dst_offset


def temperature_delta(value: float, source: str, target: str) -> float:
    """Convert a temperature difference (no offsets): 10 C of change is 18 F."""
    src_factor, _ = _scale(source)
    dst_factor, _ = _scale(target)
    return value * src_factor / dst_factor


def heat_index(temp_c: float, relative_humidity: float) -> float:
    """Return the heat index ("feels like") in °C using the NWS regression.

    Below 27 °C the air temperature is returned unchanged, as the regression
    is not meaningful there.
    """
    if not 0 <= relative_humidity <= 100:
        raise ValueError("relative humidity is a percentage")
    if temp_c < 27:
        return temp_c
    t = temp_c * 9 / 5 + 32
    rh = relative_humidity
    hi = (
        -42.379
        + 2.04901523 * t
        + 10.14333127 * rh
        - 0.22475541 * t * rh
        - 6.83783e-3 * t * t
        - 5.481717e-2 * rh * rh
        + 1.22874e-3 * t * t * rh
        + 8.5282e-4 * t * rh * rh
        - 1.99e-6 * t * t * rh * rh
    )
    return (hi - 32) * 5 / 9


def dew_point(temp_c: float, relative_humidity: float) -> float:
    """Return the dew point in °C (Magnus formula, good to about 0.35 °C)."""
    if not 0 < relative_humidity <= 100:
        raise ValueError("relative humidity must be in (0, 100]")
    a, b = 17.62, 243.12
    gamma = math.log(relative_humidity / 100) + a * temp_c / (b + temp_c)
    return b * gamma / (a - gamma)


# ---------------------------------------------------------------------------
# Everyday conversions
# ---------------------------------------------------------------------------


def mpg_to_l_per_100km(mpg: float, *, imperial: bool = False) -> float:
    """Convert fuel economy in miles per (US or imperial) gallon to L/100 km."""
    if mpg <= 0:
        raise ValueError("mpg must be positive")
    gallon = 4.54609 if imperial else 3.785411784
    km_per_litre = mpg * 1.609344 / gallon
    return 100 / km_per_litre


def l_per_100km_to_mpg(litres: float, *, imperial: bool = False) -> float:
    """Convert fuel consumption in L/100 km to miles per gallon."""
    if litres <= 0:
        raise ValueError("consumption must be positive")
    gallon = 4.54609 if imperial else 3.785411784
    return 100 / litres * gallon / 1.609344


def pace_to_speed(seconds_per_km: float) -> float:
    """Convert a running pace (seconds per km) into km/h."""
    if seconds_per_km <= 0:
        raise ValueError("pace must be positive")
    return 3600 / seconds_per_km


def speed_to_pace(kmh: float) -> str:
    """Convert a speed in km/h into a ``M:SS /km`` pace string."""
    if kmh <= 0:
        raise ValueError("speed must be positive")
    seconds = round(3600 / kmh)
    return f"{seconds // 60}:{seconds % 60:02d} /km"


def feet_inches(metres: float) -> str:
    """Format a length in metres as feet and inches: ``1.8`` is ``5' 10.9"``."""
    total_inches = metres / 0.0254
    feet = int(total_inches // 12)
    inches = total_inches - feet * 12
    if round(inches, 1) >= 12:
        feet += 1
        inches = 0.0
    return f"{feet}' {inches:.1f}\""


def parse_feet_inches(text: str) -> float:
    """Parse ``5'10"``, ``5 ft 10 in`` or ``6'`` into metres."""
    match = re.fullmatch(
        r"\s*(?:(\d+(?:\.\d+)?)\s*(?:'|ft|feet))?\s*(?:(\d+(?:\.\d+)?)\s*(?:\"|in|inches))?\s*", text
    )
    if not match or not any(match.groups()):
        raise ValueError(f"cannot parse length {text!r}")
    feet = float(match.group(1) or 0)
    inches = float(match.group(2) or 0)
    return (feet * 12 + inches) * 0.0254


def ratio(value: float, *, max_denominator: int = 16) -> str:
    """Express ``value`` as a simple fraction, e.g. inches in 1/16 steps."""
    frac = Fraction(value).limit_denominator(max_denominator)
    whole, rest = divmod(frac.numerator, frac.denominator)
    if rest == 0:
        return str(whole)
    if whole == 0:
        return f"{rest}/{frac.denominator}"
    return f"{whole} {rest}/{frac.denominator}"


def table(values: Iterable[float], source: Unit | str, targets: Iterable[Unit | str]) -> list[dict[str, float]]:
    """Build a conversion table: one row per value, one column per target unit."""
    src = get_unit(source)
    units = [get_unit(t) for t in targets]
    rows = []
    for value in values:
        row = {src.symbol: value}
        for unit in units:
            row[unit.symbol] = convert(value, src, unit)
        rows.append(row)
    return rows


def describe(unit: Unit | str) -> Mapping[str, object]:
    """Return a small description of a unit for documentation and UIs."""
    u = get_unit(unit)
    return {
        "symbol": u.symbol,
        "name": u.name,
        "dimension": dimension_name(u.dimension),
        "factor": u.factor,
        "offset": u.offset,
    }
