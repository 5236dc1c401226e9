"""Bad: Jinja2 environments that do not escape HTML."""

import jinja2
from jinja2 import Environment, FileSystemLoader


def pages() -> jinja2.Environment:
    return Environment(loader=FileSystemLoader("templates"))  # expect: python-jinja2-autoescape-unset


def fragments() -> jinja2.Environment:
    return jinja2.Environment()  # expect: python-jinja2-autoescape-unset
