"""Good: archives unpacked with the data filter; zip files.  good: python-archive-extraction-without-filter"""

import shutil
import tarfile
import zipfile


def unpack(path: str, dest: str) -> None:
    with tarfile.open(path) as tar:
        tar.extractall(dest, filter="data")


def unpack_upload(path: str, dest: str) -> None:
    archive = tarfile.open(path, "r:gz")
    archive.extractall(path=dest, filter=tarfile.data_filter)
    archive.close()


def unpack_any(path: str, dest: str) -> None:
    shutil.unpack_archive(path, dest, filter="data")


def unzip(path: str, dest: str) -> None:
    with zipfile.ZipFile(path) as zf:
        zf.extractall(dest)
