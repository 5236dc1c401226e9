"""Bad: guessable secrets from the random module."""

import random
import string


def new_reset_token() -> str:
    reset_token = "".join(random.choice(string.ascii_letters) for _ in range(32))  # expect: python-insecure-random-for-secret
    return reset_token


def new_session() -> int:
    session_id = random.getrandbits(64)  # expect: python-insecure-random-for-secret
    return session_id


class Otp:
    def __init__(self) -> None:
        self.otp = random.randint(100000, 999999)  # expect: python-insecure-random-for-secret
