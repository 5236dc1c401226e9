"""Bad: MD5 / SHA-1 used where security may depend on them."""

import hashlib
from hashlib import sha1


def password_digest(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()  # expect: python-weak-hash


def signature(body: bytes) -> str:
    return sha1(body).hexdigest()  # expect: python-weak-hash


def token_hash(token: str) -> str:
    return hashlib.new("MD5", token.encode()).hexdigest()  # expect: python-weak-hash
