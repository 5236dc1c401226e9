"""Bad: a temporary name that another process can take first."""

import tempfile


def scratch_file() -> str:
    path = tempfile.mktemp(suffix=".json")  # expect: python-tempfile-mktemp
    with open(path, "w") as fh:
        fh.write("{}")
    return path
