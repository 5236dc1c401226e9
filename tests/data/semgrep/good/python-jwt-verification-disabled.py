"""Good: JWTs verified with a key and fixed algorithms.  good: python-jwt-verification-disabled"""

import jwt


def claims(token: str, key: str) -> dict[str, object]:
    return jwt.decode(token, key, algorithms=["HS256"])


def claims_no_expiry(token: str, key: str) -> dict[str, object]:
    return jwt.decode(token, key, algorithms=["RS256"], options={"verify_signature": True})


def signed(payload: dict[str, object], key: str) -> str:
    return jwt.encode(payload, key, algorithm="HS256")
