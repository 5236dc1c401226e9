"""units: physical units, conversion and formatting."""

from units.convert import (
    REGISTRY,
    Quantity,
    UnitError,
    convert,
    format_bytes,
    parse_duration,
    parse_quantity,
)

__version__ = "1.4.0"

__all__ = [
    "REGISTRY",
    "Quantity",
    "UnitError",
    "convert",
    "format_bytes",
    "parse_duration",
    "parse_quantity",
]
