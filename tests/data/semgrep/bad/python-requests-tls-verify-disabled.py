"""Bad: HTTP clients with certificate checking turned off."""

import httpx
import requests


def fetch(url: str) -> bytes:
    return requests.get(url, verify=False, timeout=10).content  # expect: python-requests-tls-verify-disabled


def post(url: str, body: dict[str, str]) -> None:
    session = requests.Session()
    session.verify = False  # expect: python-requests-tls-verify-disabled
    session.post(url, json=body, timeout=10)


def client() -> httpx.Client:
    return httpx.Client(verify=False)  # expect: python-requests-tls-verify-disabled
