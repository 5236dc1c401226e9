"""Bad: SSH clients that accept any host key."""

import paramiko


def connect(host: str) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # expect: python-ssh-auto-add-host-key
    client.connect(host)
    return client


def connect_warn(host: str) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.WarningPolicy())  # expect: python-ssh-auto-add-host-key
    client.connect(host)
    return client
