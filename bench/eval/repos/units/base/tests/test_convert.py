import unittest

from units.convert import (
    DimensionError,
    Quantity,
    UnitError,
    convert,
    parse_quantity,
    parse_unit,
)


class ConvertTests(unittest.TestCase):
    def test_prefixed_lengths(self):
        self.assertAlmostEqual(convert(1.5, "km", "m"), 1500.0)
        self.assertAlmostEqual(convert(12, "in", "ft"), 1.0)

    def test_registry_temperatures(self):
        self.assertAlmostEqual(convert(100, "degC", "degF"), 212.0)
        self.assertAlmostEqual(convert(-40, "degF", "degC"), -40.0)

    def test_delta(self):
        self.assertAlmostEqual(convert(10, "degC", "degF", delta=True), 18.0)

    def test_incompatible(self):
        with self.assertRaises(DimensionError):
            convert(1, "m", "s")

    def test_unknown_unit(self):
        with self.assertRaises(UnitError):
            convert(1, "furlong", "m")


class ExpressionTests(unittest.TestCase):
    def test_compound(self):
        self.assertAlmostEqual(convert(36, "km/h", "m/s"), 10.0)
        self.assertAlmostEqual(convert(1, "kg*m/s^2", "N"), 1.0)

    def test_superscripts(self):
        self.assertAlmostEqual(parse_unit("m\u00b2").factor, 1.0)
        self.assertAlmostEqual(convert(1, "km\u00b2", "ha"), 100.0)


class QuantityTests(unittest.TestCase):
    def test_parse_and_add(self):
        total = parse_quantity("1.2 km") + parse_quantity("300 m")
        self.assertAlmostEqual(total.value, 1.5)

    def test_equality_across_units(self):
        self.assertEqual(Quantity.of(1, "km"), Quantity.of(1000, "m"))
