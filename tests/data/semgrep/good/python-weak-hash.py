"""Good: strong hashes; MD5 explicitly not for security.  good: python-weak-hash"""

import hashlib


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def etag(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def blake(body: bytes) -> str:
    return hashlib.new("blake2b", body).hexdigest()
