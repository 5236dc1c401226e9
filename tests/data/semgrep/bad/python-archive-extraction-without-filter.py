"""Bad: archives unpacked without a member filter."""

import shutil
import tarfile


def unpack(path: str, dest: str) -> None:
    with tarfile.open(path) as tar:
        tar.extractall(dest)  # expect: python-archive-extraction-without-filter


def unpack_upload(path: str, dest: str) -> None:
    archive = tarfile.open(path, "r:gz")
    archive.extractall(path=dest)  # expect: python-archive-extraction-without-filter
    archive.close()


def unpack_trusting(path: str, dest: str) -> None:
    with tarfile.open(path) as tar:
        tar.extractall(dest, filter="fully_trusted")  # expect: python-archive-extraction-without-filter


def unpack_any(path: str, dest: str) -> None:
    shutil.unpack_archive(path, dest)  # expect: python-archive-extraction-without-filter
