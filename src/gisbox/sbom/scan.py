"""What an image's filesystem holds: OS packages, Python distributions, vendored libraries.

The filesystem comes as a stream of entries (an image's `export` tar, read once in
order, or a directory on disk for tests and host environments). Read from it:
- OS packages from dpkg's database (`var/lib/dpkg/status`, and `status.d/*` as
  distroless images keep it), read with python-debian;
- Python distributions from each `*.dist-info` (METADATA's name and version,
  WHEEL's tags, RECORD's files, which say which distribution a file belongs to);
- every shared library in a `<dist>.libs/` directory (auditwheel's vendored
  copies): its sha256 as it is in the image, SONAME, and what `sbom_libraries`
  reads of its upstream name and version.
Nothing here trusts gisbox's own build: an image built elsewhere is scanned the
same way. A dpkg status or RECORD that does not parse is an error naming the
file and the line.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path, PurePosixPath
from typing import IO

from gisbox.runtime.errors import GisboxError
from gisbox.sbom.libraries import Library, identify, soname

DIST_INFO = re.compile(r"(^|/)(site|dist)-packages/[^/]+\.dist-info/(METADATA|WHEEL|RECORD)$")
VENDORED = re.compile(r"(^|/)(site|dist)-packages/[^/]+\.libs/[^/]+\.so(\.[0-9.]+)?$")
DPKG = re.compile(r"^var/lib/dpkg/(status|status\.d/[^/]+)$")
OS_RELEASE = ("etc/os-release", "usr/lib/os-release")


class ScanError(GisboxError):
    """The image holds a package database that does not parse (exit 1)."""


@dataclass(frozen=True, kw_only=True)
class OsPackage:
    name: str
    version: str
    arch: str
    source: str  # the dpkg database file it was read from


@dataclass(frozen=True, kw_only=True)
class Distribution:
    name: str
    version: str
    path: str  # the .dist-info directory
    tags: tuple[str, ...]  # WHEEL's Tag lines
    files: frozenset[str]  # RECORD's paths, resolved against site-packages


@dataclass(frozen=True, kw_only=True)
class SharedObject:
    path: str
    sha256: str
    size: int
    soname: str | None
    libraries: tuple[Library, ...]  # the first is the file's own library


@dataclass(kw_only=True)
class Inventory:
    os_packages: list[OsPackage] = field(default_factory=list)
    distributions: list[Distribution] = field(default_factory=list)
    shared_objects: list[SharedObject] = field(default_factory=list)
    distro: str = ""  # "debian-12", from os-release

    def owner(self, path: str) -> Distribution | None:
        """The distribution whose RECORD lists `path`."""
        return next((d for d in self.distributions if path in d.files), None)


# a path (no leading /), its content, and for a hard link the path it links to (whose
# content it shares: link_duplicates leaves such links between identical libraries)
Entry = tuple[str, Callable[[], bytes], str | None]


# sees every regular file and hard link as it passes: (path, size, the path a link names)
Observer = Callable[[str, int, str | None], None]


def tar_entries(stream: IO[bytes], observe: Observer | None = None) -> Iterator[Entry]:
    """The regular files and hard links of an exported filesystem, in one pass; `observe`
    sees every one of them (the report's sizes come from the same pass)."""
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            name = member.name.removeprefix("./")
            if observe is not None and (member.isfile() or member.islnk()):
                link = member.linkname.removeprefix("./") if member.islnk() else None
                observe(name, member.size if member.isfile() else 0, link)
            if member.islnk() and wanted(name):
                yield name, _given(b""), member.linkname.removeprefix("./")
            elif member.isfile() and wanted(name):
                fh = tar.extractfile(member)
                yield name, _given(fh.read() if fh else b""), None


def _given(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def dir_entries(root: Path) -> Iterator[Entry]:
    """The same from a directory (a host environment, or a test's tree)."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not path.is_symlink() and wanted(rel):
            yield rel, path.read_bytes, None


def wanted(path: str) -> bool:
    return bool(
        path in OS_RELEASE or DPKG.match(path) or DIST_INFO.search(path) or VENDORED.search(path)
    )


def scan(entries: Iterator[Entry]) -> Inventory:
    inv = Inventory()
    infos: dict[str, dict[str, str]] = {}
    libraries: dict[str, SharedObject] = {}
    texts: dict[str, bytes] = {}  # small metadata files, for hard links to them
    for path, read, link in entries:
        if link is not None and link in libraries:  # the same bytes under a second name
            so = dataclasses.replace(libraries[link], path=path)
            inv.shared_objects.append(so)
            continue
        if link is not None:
            if link not in texts:
                continue
            read = _given(texts[link])
        if VENDORED.search(path):
            data = read()
            so = SharedObject(
                path=path,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                soname=soname(data),
                libraries=tuple(identify(PurePosixPath(path).name, data)),
            )
            libraries[path] = so
            inv.shared_objects.append(so)
            continue
        texts[path] = raw = read()
        text = raw.decode("utf-8", "replace")
        if path in OS_RELEASE:
            fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
            distro = "-".join(fields.get(k, "").strip('"') for k in ("ID", "VERSION_ID"))
            inv.distro = inv.distro or distro.strip("-")
        elif DPKG.match(path):
            inv.os_packages.extend(parse_dpkg(path, text))
        elif m := DIST_INFO.search(path):
            infos.setdefault(str(PurePosixPath(path).parent), {})[m.group(3)] = text
    inv.distributions = [parse_dist(info, texts) for info, texts in sorted(infos.items())]
    inv.shared_objects = sibling_versions(sorted(inv.shared_objects, key=lambda s: s.path))
    return inv


FIELD = re.compile(r"^[^\s:#][^\s:]*:")  # Debian policy 5.1: a name, then a colon


def parse_dpkg(path: str, text: str) -> list[OsPackage]:
    """Installed packages of one dpkg status file (deb822 paragraphs, read by
    python-debian). A line that is neither a field nor a continuation is a damaged
    database, reported with its file and line (python-debian would skip it)."""
    from debian.deb822 import Deb822

    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line[:1].isspace() and not FIELD.match(line):
            raise ScanError(
                f"{path}:{number}: not a dpkg field: {line[:80]!r}",
                hint="the image's package database is damaged; rebuild the image",
            )
    found = []
    for fields in Deb822.iter_paragraphs(text.splitlines(), use_apt_pkg=False):
        status = fields.get("Status", "install ok installed")
        if status.endswith(" installed") and "Package" in fields:
            found.append(
                OsPackage(
                    name=fields["Package"],
                    version=fields.get("Version", ""),
                    arch=fields.get("Architecture", ""),
                    source=path,
                )
            )
    return found


def parse_dist(info: str, texts: dict[str, str]) -> Distribution:
    meta = HeaderParser().parsestr(texts.get("METADATA", ""))
    wheel = HeaderParser().parsestr(texts.get("WHEEL", ""))
    site = PurePosixPath(info).parent
    files = set()
    for number, row in enumerate(csv.reader(io.StringIO(texts.get("RECORD", ""))), start=1):
        if not row:
            continue
        if len(row) != 3:
            raise ScanError(
                f"{info}/RECORD:{number}: expected 'path,hash,size', got {row!r}",
                hint="the distribution's metadata is damaged; reinstall it",
            )
        files.add(_normal(site / row[0]))
    name = meta.get("Name") or PurePosixPath(info).name.split("-")[0]
    return Distribution(
        name=name,
        version=meta.get("Version") or PurePosixPath(info).stem.partition("-")[2],
        path=info,
        tags=tuple(wheel.get_all("Tag") or ()),
        files=frozenset(files),
    )


def _normal(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def sibling_versions(objects: list[SharedObject]) -> list[SharedObject]:
    """A library that states no version of its own (libssl, libhdf5_hl, libgeos) takes
    the version of a sibling of the same upstream name in the same directory, and says so."""
    known: dict[tuple[str, str], tuple[Library, str]] = {}
    for so in objects:
        lib = so.libraries[0]
        if lib.version:
            known.setdefault((str(PurePosixPath(so.path).parent), lib.name), (lib, so.path))
    out = []
    for so in objects:
        lib = so.libraries[0]
        hit = known.get((str(PurePosixPath(so.path).parent), lib.name))
        if lib.version is None and hit:
            sib, where = hit
            lib = Library(
                name=lib.name,
                version=sib.version,
                cpe=sib.cpe,
                evidence=f"same release as {PurePosixPath(where).name} ({sib.evidence})",
            )
            so = dataclasses.replace(so, libraries=(lib, *so.libraries[1:]))
        out.append(so)
    return out
