"""Good: safe YAML loading.  good: python-yaml-unsafe-load"""

import yaml
from yaml import SafeLoader


def read_config(text: str) -> object:
    return yaml.safe_load(text)


def read_all(text: str) -> list[object]:
    return list(yaml.safe_load_all(text))


def read_explicit(text: str) -> object:
    return yaml.load(text, Loader=yaml.SafeLoader)


def read_imported(text: str) -> object:
    return yaml.load(text, Loader=SafeLoader)


def read_fast(text: str) -> object:
    return yaml.load(text, yaml.CSafeLoader)


def write(obj: object) -> str:
    return yaml.safe_dump(obj)
