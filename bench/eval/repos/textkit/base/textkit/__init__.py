"""textkit: small, dependency free text utilities."""

from textkit.strings import (
    common_prefix,
    fill,
    levenshtein,
    parse_conflicts,
    render,
    resolve_conflicts,
    roman_to_int,
    slugify,
    snake_case,
    truncate,
    wrap_text,
)

__version__ = "0.3.1"

__all__ = [
    "common_prefix",
    "fill",
    "levenshtein",
    "parse_conflicts",
    "render",
    "resolve_conflicts",
    "roman_to_int",
    "slugify",
    "snake_case",
    "truncate",
    "wrap_text",
]
