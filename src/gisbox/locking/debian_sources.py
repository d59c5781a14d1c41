"""Upstream sources from Debian's archive, verified: the signed `InRelease` of a suite
(gpgv against Debian's archive keyring) names the sha256 of its `Sources` index, which
names the sha256 of each source package's files, among them the upstream tarball
(`<package>_<version>.orig.tar.*`). A tarball whose bytes match that sha256 is the one
Debian's developers uploaded.

The newest release across the suites asked for wins (Debian's version order). A mirror
may be a frozen snapshot: `Valid-Until` is not enforced (the pin is the sha256, and the
lock records the index's date), unlike apt, which would refuse an expired index.
"""

from __future__ import annotations

import hashlib
import lzma
import re
import subprocess
import tempfile
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gisbox.project.lockfile import UpstreamSource
from gisbox.runtime.errors import LockError

DEFAULT_MIRROR = "http://deb.debian.org/debian"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
Fetch = Callable[[str], bytes]
Exists = Callable[[str], bool]


def http_get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=300) as resp:
            data: bytes = resp.read()
            return data
    except OSError as exc:
        raise LockError(
            f"cannot download {url}: {exc}", hint="check that the Debian mirror is reachable"
        ) from None


def upstream_version(debian_version: str) -> str:
    """'3.13.3+dfsg-2' -> '3.13.3'; '1:4.9.2-1' -> '4.9.2'."""
    version = debian_version.split(":", 1)[-1].rsplit("-", 1)[0]
    return re.split(r"[+~]", version)[0]


def verified_release(data: bytes, keyring: Path, what: str) -> str:
    """The text of a signed InRelease, when Debian's keyring verifies its signature."""
    with tempfile.TemporaryDirectory(prefix="gisbox-gpgv-") as tmp:
        out = Path(tmp) / "InRelease.txt"
        res = subprocess.run(
            ["gpgv", "--keyring", str(keyring), "--output", str(out), "-"],
            input=data, capture_output=True, check=False,
        )  # fmt: skip
        if res.returncode != 0 or not out.is_file():
            said = res.stderr.decode(errors="replace").strip()[-400:]
            raise LockError(
                f"{what}: the signature does not verify against {keyring}: {said}",
                hint="check the mirror (a proxy may rewrite it) and Debian's keyring "
                "(apt-get install debian-archive-keyring)",
            )
        return out.read_text(encoding="utf-8", errors="replace")


def index_entry(release: str, name: str) -> tuple[str, int]:
    """(sha256, size) of `name` (e.g. main/source/Sources.xz) in an InRelease's SHA256."""
    section = release.partition("\nSHA256:\n")[2]
    for line in section.splitlines():
        if not line.startswith(" "):
            break
        sha, size, path = line.split()
        if path == name:
            return sha, int(size)
    raise LockError(f"the InRelease lists no {name}", hint="check the mirror")


def source_paragraphs(sources: str, package: str) -> list[Any]:
    """The paragraphs of a Sources index for `package`, read by python-debian."""
    from debian.deb822 import Sources

    head = f"Package: {package}\n"
    return [Sources(para) for para in sources.split("\n\n") if para.startswith(head)]


def orig_tarball(paragraph: Any) -> tuple[str, str, int]:
    """(file name, sha256, size) of a source package's upstream tarball."""
    for entry in paragraph.get("Checksums-Sha256", []):
        if ".orig.tar." in entry["name"]:
            return entry["name"], entry["sha256"], int(entry["size"])
    raise LockError(f"{paragraph.get('Package')} {paragraph.get('Version')} has no .orig tarball")


def http_exists(url: str) -> bool:
    """Whether the mirror serves `url` (a HEAD request)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=60):
            return True
    except OSError:
        return False


@dataclass(frozen=True, kw_only=True)
class Archive:
    """A Debian mirror, read through `fetch` (tests pass a fake) and checked with gpgv."""

    mirror: str = DEFAULT_MIRROR
    keyring: Path = KEYRING
    fetch: Fetch = http_get
    exists: Exists = http_exists

    def sources(self, suite: str) -> tuple[str, str]:
        """(the suite's Sources index, its InRelease Date), every step verified."""
        url = f"{self.mirror}/dists/{suite}/InRelease"
        release = verified_release(self.fetch(url), self.keyring, url)
        date = next((ln[6:] for ln in release.splitlines() if ln.startswith("Date: ")), "")
        sha, _size = index_entry(release, "main/source/Sources.xz")
        blob = self.fetch(f"{self.mirror}/dists/{suite}/main/source/Sources.xz")
        if hashlib.sha256(blob).hexdigest() != sha:
            raise LockError(
                f"{suite}'s Sources.xz does not match the sha256 its signed InRelease names",
                hint="run `gisbox lock` again (the mirror may have been updating)",
            )
        return lzma.decompress(blob).decode("utf-8", errors="replace"), date

    def newest(self, package: str, suites: Sequence[str]) -> UpstreamSource:
        """The newest release of `package` in `suites`, with its upstream tarball."""
        from debian.debian_support import Version

        found: list[tuple[Version, UpstreamSource]] = []
        for suite in suites:
            text, date = self.sources(suite)
            for para in source_paragraphs(text, package):
                name, sha, size = orig_tarball(para)
                tarball = UpstreamSource(
                    package=package, version=para["Version"],
                    upstream=upstream_version(para["Version"]), suite=suite,
                    url=f"{self.mirror}/{para['Directory']}/{name}", sha256=sha, size=size,
                    index_date=date,
                )  # fmt: skip
                found.append((Version(para["Version"]), tarball))
        if not found:
            raise LockError(
                f"Debian's source archive at {self.mirror} has no {package} in {', '.join(suites)}",
                hint="check the package name, or add a suite that carries it",
            )
        ordered = [s for _, s in sorted(found, key=lambda pair: pair[0], reverse=True)]
        newest = ordered[0]
        if not self.exists(newest.url):
            served = [
                s for s in ordered[1:] if s.upstream != newest.upstream and self.exists(s.url)
            ]
            instead = (
                "; served: " + ", ".join(f"{s.version} ({s.suite})" for s in served)
                if served
                else "; no other release of it is served"
            )
            raise LockError(
                f"{newest.url} ({package} {newest.version}, {newest.suite}) is listed in the "
                f"signed index but the mirror does not serve it{instead}",
                hint="set [stack] suites to the suites whose release is served, or use "
                "another mirror",
            )
        return newest

    def download(self, tarball: UpstreamSource, dest: Path) -> Path:
        """The tarball at `dest`, refused unless its sha256 is the pinned one."""
        blob = self.fetch(tarball.url)
        got = hashlib.sha256(blob).hexdigest()
        if got != tarball.sha256:
            raise LockError(
                f"{tarball.url}: sha256 {got}, the archive's index says {tarball.sha256}",
                hint="do not use this file: the mirror or a proxy changed it",
            )
        dest.write_bytes(blob)
        return dest
