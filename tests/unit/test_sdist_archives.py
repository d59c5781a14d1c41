"""An sdist's build requirements are read from a .tar.gz or a .zip (older sdists on PyPI
are zip files), never by opening a zip as a tar."""

from __future__ import annotations

import io
import tarfile
import zipfile

from gisbox.locking.pyindex import LEGACY_BUILD_REQUIRES, archive_build_requires

PYPROJECT = b'[build-system]\nrequires = ["setuptools>=61", "cython>=3"]\n'


def tar_gz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buf.getvalue()


def test_a_tar_gz_sdist() -> None:
    blob = tar_gz({"pkg-1.0/pyproject.toml": PYPROJECT, "pkg-1.0/setup.py": b""})
    assert archive_build_requires(blob, "pkg-1.0.tar.gz") == ["setuptools>=61", "cython>=3"]


def test_a_zip_sdist() -> None:
    blob = zip_of({"pkg-1.0/pyproject.toml": PYPROJECT, "pkg-1.0/setup.py": b""})
    assert archive_build_requires(blob, "pkg-1.0.zip") == ["setuptools>=61", "cython>=3"]


def test_without_pyproject_the_pep_517_default() -> None:
    nested = {"pkg-1.0/tests/pyproject.toml": PYPROJECT, "pkg-1.0/setup.py": b""}
    assert archive_build_requires(zip_of(nested), "pkg-1.0.zip") == LEGACY_BUILD_REQUIRES
    assert archive_build_requires(tar_gz(nested), "pkg-1.0.tar.gz") == LEGACY_BUILD_REQUIRES
