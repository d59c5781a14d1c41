"""The Python package index as the lock sees it: resolution with uv, sdists by hash.

`PythonIndex` is what locking needs from an index; `UvIndex` is the real one:
`uv pip compile --format pylock.toml` gives, per package, the exact version and every
compatible wheel (binary wheels only, for the image's platform and Python) with its URL
and sha256; sdists come from the index's JSON simple API (PEP 691). Tests pass a fake.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin

from packaging.utils import canonicalize_name, parse_sdist_filename
from packaging.version import Version

from gisbox.project.lockfile import PythonPackage, SourcePackage, Wheel
from gisbox.project.platforms import PLATFORMS
from gisbox.runtime.errors import LockError


class PythonIndex(Protocol):
    """What resolving a lock needs from a package index, for one target."""

    def compile(self, requirements: list[str]) -> list[PythonPackage]:
        """Exact versions of `requirements` and their dependencies, every wheel hashed."""
        ...

    def uv_pin(self) -> PythonPackage:
        """The uv wheel the builder stage runs (this gisbox's uv version)."""
        ...

    def sdist(self, name: str, version: str) -> SourcePackage:
        """The source distribution of NAME==VERSION with its sha256."""
        ...

    def build_requires(self, src: SourcePackage) -> list[str]:
        """`[build-system] requires` of an sdist."""
        ...


PYPI_SIMPLE = "https://pypi.org/simple"


def fetch_sdist(name: str, version: str, index_url: str | None = None) -> SourcePackage:
    """The sdist of NAME==VERSION with its sha256, from the index's JSON simple API (PEP 691)."""
    index = (index_url or PYPI_SIMPLE).rstrip("/")
    url = f"{index}/{canonicalize_name(name)}/"
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            files = json.load(resp)["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise LockError(f"cannot list the files of {name} at {url}: {exc}") from None
    for f in files:
        fname = f["filename"]
        if fname.endswith((".tar.gz", ".zip")) and not f.get("yanked"):
            try:
                _, ver = parse_sdist_filename(fname)
            except ValueError:
                continue
            if ver == Version(version) and "sha256" in f.get("hashes", {}):
                sdist = Wheel(url=urljoin(url, f["url"]), sha256=f["hashes"]["sha256"])
                return SourcePackage(name=canonicalize_name(name), version=version, sdist=sdist)
    raise LockError(
        f"{name} {version} has no source distribution at {index}",
        hint='the "system" strategy compiles the GIS bindings from source',
    )


LEGACY_BUILD_REQUIRES = ["setuptools>=40.8.0", "wheel"]  # PEP 517's default


def sdist_build_requires(src: SourcePackage) -> list[str]:
    """`[build-system] requires` of an sdist (downloaded and hash-checked here)."""
    try:
        with urllib.request.urlopen(src.sdist.url, timeout=120) as resp:
            blob = resp.read()
    except OSError as exc:
        raise LockError(f"cannot download {src.sdist.url}: {exc}") from None
    if hashlib.sha256(blob).hexdigest() != src.sdist.sha256:
        raise LockError(f"hash mismatch for {src.sdist.url}: the index changed it while locking")
    return archive_build_requires(blob, src.sdist.url.rsplit("/", 1)[-1])


def archive_build_requires(blob: bytes, filename: str) -> list[str]:
    """`[build-system] requires` of the sdist `filename` (a .tar.gz or a .zip, as PEP 625
    and older indexes serve them): its top-level pyproject.toml, else PEP 517's default."""
    text = _top_level_pyproject(blob, filename)
    if text is None:
        return list(LEGACY_BUILD_REQUIRES)
    requires = tomllib.loads(text).get("build-system", {}).get("requires")
    return [str(r) for r in requires] if requires else list(LEGACY_BUILD_REQUIRES)


def _top_level_pyproject(blob: bytes, filename: str) -> str | None:
    def top(name: str) -> bool:
        return name.count("/") == 1 and name.endswith("/pyproject.toml")

    if filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            name = next((n for n in archive.namelist() if top(n)), None)
            return archive.read(name).decode() if name else None
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        member = next((m for m in tar.getmembers() if top(m.name)), None)
        fh = tar.extractfile(member) if member else None
        return fh.read().decode() if fh else None


def uv_bin() -> str:
    from uv import find_uv_bin

    return str(find_uv_bin())


def uv_version() -> str:
    out = subprocess.run([uv_bin(), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


@functools.cache
def uv_manylinux_tags() -> frozenset[str]:
    """The `--python-platform` values of the installed uv's kind `<arch>-manylinux_<x>_<y>`."""
    out = subprocess.run(
        [uv_bin(), "pip", "compile", "--help"], capture_output=True, text=True, check=True
    )
    return frozenset(re.findall(r"\b\w+-manylinux_\d+_\d+\b", out.stdout))


def python_platform(platform: str, glibc: str, known: frozenset[str] | None = None) -> str:
    """uv's --python-platform for a Linux platform and glibc, e.g. x86_64-manylinux_2_36.

    A glibc newer than the newest tag uv knows (Debian 13 has 2.41, uv 0.13 knows up to
    2_40) takes that newest tag: wheels are built for older glibcs, and a manylinux_2_41
    wheel, if one ever appears, is then left out rather than the lock failing.
    """
    major, minor = (int(part) for part in glibc.split(".")[:2])
    arch = PLATFORMS[platform].machine
    tags = uv_manylinux_tags() if known is None else known
    for m in range(minor, -1, -1):
        tag = f"{arch}-manylinux_{major}_{m}"
        if tag in tags:
            return tag
    return f"{arch}-manylinux_{major}_{minor}"


def run_uv(argv: list[str], *, as_of_now: bool) -> subprocess.CompletedProcess[str]:
    """uv with `argv`, once more with `--refresh` if it fails (see compile_requirements)."""
    env = {k: v for k, v in os.environ.items() if not (as_of_now and k == "UV_EXCLUDE_NEWER")}
    res = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    if res.returncode != 0:
        res = subprocess.run([*argv, "--refresh"], capture_output=True, text=True, check=False,
                             env=env)  # fmt: skip
    return res


def compile_requirements(
    requirements: list[str],
    *,
    python_version: str,
    uv_platform: str,
    index_url: str | None = None,
    extra_index_urls: tuple[str, ...] = (),
    as_of_now: bool = False,
) -> list[PythonPackage]:
    """Resolve `requirements` to exact versions with every wheel's sha256.

    uv's own UV_EXCLUDE_NEWER holds the resolution at a date (what the index held then);
    `as_of_now` ignores it, for a pin that must be today's (gisbox's own uv).

    A failed resolution is tried once more with `--refresh`: uv answers from its cache of
    the index's pages while they are fresh by the index's own headers, and a page cached
    a moment before a release (or served stale by a proxy or CDN) lacks it, so resolving a
    second platform to the versions the first just found would fail for nothing.
    """
    with tempfile.TemporaryDirectory(prefix="gisbox-lock-") as tmp:
        src = Path(tmp) / "requirements.in"
        out = Path(tmp) / "pylock.toml"
        src.write_text("\n".join(requirements) + "\n")
        argv = [uv_bin(), "pip", "compile", str(src), "-o", str(out), "--format", "pylock.toml",
                "--python-version", python_version, "--python-platform", uv_platform,
                "--only-binary", ":all:", "--generate-hashes", "--no-header",
                "--quiet"]  # fmt: skip
        if index_url:
            argv += ["--index-url", index_url]
        for url in extra_index_urls:
            argv += ["--extra-index-url", url]
        res = run_uv(argv, as_of_now=as_of_now)
        if res.returncode != 0:
            raise LockError(
                "uv could not resolve the requirements for "
                f"{uv_platform}, Python {python_version}, binary wheels only:\n"
                + res.stderr.strip(),
                hint="relax the pin named above, or pick packages that publish Linux wheels",
            )
        data = tomllib.loads(out.read_text())
    packages = []
    for entry in data.get("packages", []):
        wheels = tuple(
            Wheel(url=w["url"], sha256=w["hashes"]["sha256"]) for w in entry.get("wheels", [])
        )
        if not wheels:
            raise LockError(f"{entry['name']} {entry.get('version')} has no binary wheel")
        packages.append(PythonPackage(name=entry["name"], version=entry["version"], wheels=wheels))
    return sorted(packages, key=lambda p: p.name)


@dataclass(frozen=True, kw_only=True)
class UvIndex:
    """The spec's index (PyPI by default), resolved with uv for one target."""

    python_version: str  # e.g. "3.11.2"
    uv_platform: str  # e.g. "x86_64-manylinux_2_36"
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()

    def compile(self, requirements: list[str]) -> list[PythonPackage]:
        return compile_requirements(
            requirements,
            python_version=self.python_version,
            uv_platform=self.uv_platform,
            index_url=self.index_url,
            extra_index_urls=self.extra_index_urls,
        )

    def uv_pin(self) -> PythonPackage:
        # from PyPI, whatever the spec's index: gisbox's own tool, not the user's stack,
        # the version running, whatever date the stack's resolution is held at
        (uv,) = compile_requirements(
            [f"uv=={uv_version()}"],
            python_version=self.python_version,
            uv_platform=self.uv_platform,
            as_of_now=True,
        )
        return uv

    def sdist(self, name: str, version: str) -> SourcePackage:
        return fetch_sdist(name, version, self.index_url)

    def build_requires(self, src: SourcePackage) -> list[str]:
        return sdist_build_requires(src)
