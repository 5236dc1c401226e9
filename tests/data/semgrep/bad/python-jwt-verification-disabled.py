"""Bad: JWTs decoded without checking the signature."""

import jwt


def claims(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})  # expect: python-jwt-verification-disabled


def claims_any_algorithm(token: str, key: str) -> dict[str, object]:
    return jwt.decode(token, key, algorithms=["HS256", "none"])  # expect: python-jwt-verification-disabled


def unsigned(payload: dict[str, object]) -> str:
    return jwt.encode(payload, None, algorithm="none")  # expect: python-jwt-verification-disabled
