"""Bad: YAML loaders that build arbitrary Python objects."""

import yaml
from yaml import Loader


def read_config(text: str) -> object:
    return yaml.load(text, Loader=Loader)  # expect: python-yaml-unsafe-load


def read_unsafe(text: str) -> object:
    return yaml.unsafe_load(text)  # expect: python-yaml-unsafe-load


def read_full(text: str) -> object:
    return yaml.load(text, Loader=yaml.FullLoader)  # expect: python-yaml-unsafe-load


def read_default(text: str) -> object:
    return yaml.load(text)  # expect: python-yaml-unsafe-load
