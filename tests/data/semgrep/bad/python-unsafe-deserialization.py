"""Bad: deserialising formats that can run code."""

import marshal
import pickle
import shelve

import pandas as pd


def load_session(blob: bytes) -> object:
    return pickle.loads(blob)  # expect: python-unsafe-deserialization


def load_model(path: str) -> object:
    with open(path, "rb") as fh:
        return pickle.load(fh)  # expect: python-unsafe-deserialization


def load_code(data: bytes) -> object:
    return marshal.loads(data)  # expect: python-unsafe-deserialization


def open_cache(path: str) -> object:
    return shelve.open(path)  # expect: python-unsafe-deserialization


def read_frame(path: str) -> object:
    return pd.read_pickle(path)  # expect: python-unsafe-deserialization
