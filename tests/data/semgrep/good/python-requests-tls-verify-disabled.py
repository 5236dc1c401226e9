"""Good: certificate checking kept, private CA bundles.  good: python-requests-tls-verify-disabled"""

import httpx
import requests


def fetch(url: str) -> bytes:
    return requests.get(url, timeout=10).content


def fetch_internal(url: str) -> bytes:
    return requests.get(url, verify="/etc/ssl/internal-ca.pem", timeout=10).content


def client() -> httpx.Client:
    return httpx.Client(verify=True)


class Signature:
    verify = False


def check(sig: Signature) -> None:
    sig.verify = False
