"""Bad: TLS contexts that do not check the peer."""

import ssl
import urllib.request


def open_url(url: str) -> bytes:
    context = ssl._create_unverified_context()  # expect: python-ssl-verification-disabled
    return urllib.request.urlopen(url, context=context).read()


def lax_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False  # expect: python-ssl-verification-disabled
    context.verify_mode = ssl.CERT_NONE  # expect: python-ssl-verification-disabled
    return context
