"""Good: Jinja2 environments with autoescape set explicitly.  good: python-jinja2-autoescape-unset"""

import jinja2
from jinja2 import Environment, FileSystemLoader, select_autoescape


def pages() -> jinja2.Environment:
    return Environment(loader=FileSystemLoader("templates"), autoescape=select_autoescape())


def prompts() -> jinja2.Environment:
    return jinja2.Environment(autoescape=False)
