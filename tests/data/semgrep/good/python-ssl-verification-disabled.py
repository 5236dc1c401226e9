"""Good: default TLS contexts, private CAs loaded explicitly.  good: python-ssl-verification-disabled"""

import ssl


def context() -> ssl.SSLContext:
    return ssl.create_default_context()


def internal_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.load_verify_locations("/etc/ssl/internal-ca.pem")
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    return ctx
