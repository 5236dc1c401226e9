"""Good: temporary files created atomically.  good: python-tempfile-mktemp"""

import tempfile


def scratch_file() -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        fh.write("{}")
        return fh.name


def scratch_dir() -> str:
    return tempfile.mkdtemp()
