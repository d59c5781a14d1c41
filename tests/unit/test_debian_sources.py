"""Upstream sources from Debian's archive are trusted only through the chain Debian signs:
InRelease (its signature, checked by gpgv) -> Sources.xz (its sha256) -> the tarball (its
sha256). A throwaway key stands in for Debian's; the archive is a dict of URLs."""

from __future__ import annotations

import hashlib
import lzma
import os
import subprocess
from pathlib import Path

import pytest

from gisbox.locking.debian_sources import Archive, upstream_version
from gisbox.runtime.errors import LockError

MIRROR = "http://mirror.example/debian"
TARBALL = b"gdal sources\n"


def paragraph(version: str, tarball: bytes) -> str:
    sha = hashlib.sha256(tarball).hexdigest()
    upstream = version.rsplit("-", 1)[0]
    return (
        f"Package: gdal\nBinary: libgdal-dev\nVersion: {version}\nDirectory: pool/main/g/gdal\n"
        f"Checksums-Sha256:\n {'0' * 64} 10 gdal_{version}.dsc\n"
        f" {sha} {len(tarball)} gdal_{upstream}.orig.tar.xz\n"
    )


@pytest.fixture(scope="module")
def gpg(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(GNUPGHOME with a signing key, the keyring that verifies it)."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Test Archive <t@example>",
         "ed25519", "sign", "never"], env=env, check=True, capture_output=True,
    )  # fmt: skip
    keyring = home / "archive.gpg"
    keyring.write_bytes(subprocess.run(["gpg", "--export"], env=env, check=True,
                                       capture_output=True).stdout)  # fmt: skip
    return home, keyring


def signed(home: Path, text: str) -> bytes:
    env = {**os.environ, "GNUPGHOME": str(home)}
    return subprocess.run(["gpg", "--batch", "--clearsign"], input=text.encode(), env=env,
                          check=True, capture_output=True).stdout  # fmt: skip


def archive(gpg: tuple[Path, Path], suites: dict[str, str]) -> dict[str, bytes]:
    """URL -> bytes of a mirror whose suites hold these Sources texts."""
    home, _ = gpg
    files: dict[str, bytes] = {}
    for suite, sources in suites.items():
        xz = lzma.compress(sources.encode())
        release = (
            f"Suite: {suite}\nDate: Fri, 30 Oct 2026 08:08:01 UTC\nSHA256:\n"
            f" {hashlib.sha256(xz).hexdigest()} {len(xz)} main/source/Sources.xz\n"
        )
        files[f"{MIRROR}/dists/{suite}/InRelease"] = signed(home, release)
        files[f"{MIRROR}/dists/{suite}/main/source/Sources.xz"] = xz
    return files


def reader(
    gpg: tuple[Path, Path], files: dict[str, bytes], served: set[str] | None = None
) -> Archive:
    def exists(url: str) -> bool:
        return served is None or url in served

    return Archive(mirror=MIRROR, keyring=gpg[1], fetch=lambda url: files[url], exists=exists)


def test_the_newest_release_across_suites_with_its_tarball(gpg: tuple[Path, Path]) -> None:
    files = archive(gpg, {
        "trixie": paragraph("3.10.3+dfsg-1", b"old"),
        "sid": paragraph("3.13.3+dfsg-2", TARBALL),
    })  # fmt: skip
    found = reader(gpg, files).newest("gdal", ["trixie", "sid"])
    assert (found.version, found.upstream, found.suite) == ("3.13.3+dfsg-2", "3.13.3", "sid")
    assert found.url == f"{MIRROR}/pool/main/g/gdal/gdal_3.13.3+dfsg.orig.tar.xz"
    assert found.sha256 == hashlib.sha256(TARBALL).hexdigest() and found.size == len(TARBALL)
    assert found.index_date == "Fri, 30 Oct 2026 08:08:01 UTC"


def test_a_release_file_changed_after_signing_is_refused(gpg: tuple[Path, Path]) -> None:
    files = archive(gpg, {"sid": paragraph("3.13.3+dfsg-2", TARBALL)})
    url = f"{MIRROR}/dists/sid/InRelease"
    files[url] = files[url].replace(b"Suite: sid", b"Suite: xid")
    with pytest.raises(LockError, match="signature does not verify"):
        reader(gpg, files).newest("gdal", ["sid"])


def test_a_sources_index_the_release_does_not_name_is_refused(gpg: tuple[Path, Path]) -> None:
    files = archive(gpg, {"sid": paragraph("3.13.3+dfsg-2", TARBALL)})
    files[f"{MIRROR}/dists/sid/main/source/Sources.xz"] = lzma.compress(
        paragraph("3.13.4+dfsg-1", b"evil").encode()
    )
    with pytest.raises(LockError, match="does not match the sha256 its signed InRelease"):
        reader(gpg, files).newest("gdal", ["sid"])


def test_the_tarball_is_kept_only_with_the_pinned_sha256(
    gpg: tuple[Path, Path], tmp_path: Path
) -> None:
    files = archive(gpg, {"sid": paragraph("3.13.3+dfsg-2", TARBALL)})
    archive_ = reader(gpg, files)
    found = archive_.newest("gdal", ["sid"])
    files[found.url] = b"tampered"
    with pytest.raises(LockError, match="the archive's index says"):
        archive_.download(found, tmp_path / "gdal.tar.xz")
    assert not (tmp_path / "gdal.tar.xz").exists()
    files[found.url] = TARBALL
    assert archive_.download(found, tmp_path / "gdal.tar.xz").read_bytes() == TARBALL


def test_a_package_no_suite_carries_names_the_suites(gpg: tuple[Path, Path]) -> None:
    files = archive(gpg, {"trixie": paragraph("3.10.3+dfsg-1", b"x")})
    with pytest.raises(LockError, match="has no geos in trixie"):
        reader(gpg, files).newest("geos", ["trixie"])


@pytest.mark.parametrize(
    ("debian", "upstream"),
    [("3.13.3+dfsg-2", "3.13.3"), ("9.6.0-1", "9.6.0"), ("1:4.9.2-1~bpo12+1", "4.9.2"),
     ("3.13.1-1+b2", "3.13.1")],
)  # fmt: skip
def test_upstream_version(debian: str, upstream: str) -> None:
    assert upstream_version(debian) == upstream


def test_a_tarball_the_mirror_does_not_serve_names_the_file_and_what_is_served(
    gpg: tuple[Path, Path],
) -> None:
    files = archive(gpg, {
        "trixie": paragraph("3.10.3+dfsg-1", b"old"),
        "sid": paragraph("3.13.3+dfsg-2", TARBALL),
    })  # fmt: skip
    old = f"{MIRROR}/pool/main/g/gdal/gdal_3.10.3+dfsg.orig.tar.xz"
    with pytest.raises(LockError) as exc:
        reader(gpg, files, served={old}).newest("gdal", ["trixie", "sid"])
    assert "gdal_3.13.3+dfsg.orig.tar.xz (gdal 3.13.3+dfsg-2, sid)" in exc.value.message
    assert "served: 3.10.3+dfsg-1 (trixie)" in exc.value.message
    assert exc.value.hint and "[stack] suites" in exc.value.hint
