"""Good: secrets for secrets, random for everything else.  good: python-insecure-random-for-secret"""

import random
import secrets
import string


def new_reset_token() -> str:
    reset_token = secrets.token_urlsafe(32)
    return reset_token


def new_password() -> str:
    password = "".join(secrets.choice(string.ascii_letters) for _ in range(20))
    return password


def backoff(attempt: int) -> float:
    delay = 2**attempt + random.uniform(0, 1)
    return delay


def shuffle_tokens(tokens: list[str]) -> list[str]:
    order = random.sample(tokens, len(tokens))
    return order


def sample_budget() -> int:
    max_tokens = random.randint(256, 1024)
    return max_tokens
