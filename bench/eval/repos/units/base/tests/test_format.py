import unittest

from units.convert import (
    Quantity,
    convert_temperature,
    format_bytes,
    format_duration,
    format_quantity,
    humanize,
    parse_duration,
    parse_size,
)


class BytesTests(unittest.TestCase):
    def test_small_and_large(self):
        self.assertEqual(format_bytes(0), "0 B")
        self.assertEqual(format_bytes(1536), "1.5 KiB")
        self.assertEqual(format_bytes(5 * 1024**3), "5.0 GiB")

    def test_decimal(self):
        self.assertEqual(format_bytes(2500, binary=False), "2.5 kB")

    def test_parse_size(self):
        self.assertEqual(parse_size("1.5 GiB"), int(1.5 * 1024**3))
        self.assertEqual(parse_size("10MB"), 10_000_000)


class DurationTests(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(parse_duration("1h30m"), 5400)
        self.assertEqual(parse_duration("2d 4h"), 187200)
        self.assertEqual(parse_duration("250ms"), 0.25)
        self.assertEqual(parse_duration("42"), 42)

    def test_format(self):
        self.assertEqual(format_duration(5400), "1h 30m")
        self.assertEqual(format_duration(0.25), "250ms")


class QuantityFormatTests(unittest.TestCase):
    def test_format_quantity(self):
        self.assertEqual(format_quantity(Quantity.of(9.81, "m/s^2")), "9.81 m/s^2")
        self.assertEqual(format_quantity(Quantity.of(21.5, "degC")), "21.5\u00b0C")

    def test_humanize(self):
        self.assertEqual(humanize(Quantity.of(0.0042, "m")), "4.2 mm")


class TemperatureTests(unittest.TestCase):
    def test_celsius_kelvin(self):
        self.assertAlmostEqual(convert_temperature(0, "C", "K"), 273.15)
        self.assertAlmostEqual(convert_temperature(300, "kelvin", "celsius"), 26.85)

    def test_below_absolute_zero(self):
        with self.assertRaises(ValueError):
            convert_temperature(-300, "C", "K")
