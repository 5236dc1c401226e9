"""Good: SSH clients that check known host keys.  good: python-ssh-auto-add-host-key"""

import paramiko


def connect(host: str) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_system_host_keys()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host)
    return client
