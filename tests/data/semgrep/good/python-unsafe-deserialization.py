"""Good: JSON for data, pickle only to write.  good: python-unsafe-deserialization"""

import json
import pickle


def load_session(blob: bytes) -> object:
    return json.loads(blob)


def save(obj: object) -> bytes:
    return pickle.dumps(obj)
