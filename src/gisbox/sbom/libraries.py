"""What a shared library is: its SONAME, upstream name and version, and a CPE.

Manylinux wheels vendor C libraries under `<dist>.libs/` with mangled file names
(`libgdal-c8c9c467.so.36.3.10.3`) whose numbers are ABI versions as often as
release versions. A library says its own version in a string it was built with
(GDAL's user agent `GDAL/3.10.3`, PROJ's `Rel. 9.7.1, …`, `libcurl/8.16.0`,
`OpenSSL 3.6.0 1 Oct 2025` …); those strings are what this module reads. Some
libraries link others statically (pyproj's libcurl carries OpenSSL, blosc
carries zlib): those are found too and reported as embedded. A library whose
version no string gives keeps its name and no version, never a guessed one.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

# (name, CPE vendor:product, pattern with the version as group 1). Applied to the file
# whose name starts with the key, or (EMBEDDED) to every library.
_OWN: dict[str, tuple[str, str, bytes]] = {
    "libgdal": ("gdal", "osgeo:gdal", rb"GDAL/(\d+\.\d+\.\d+)"),
    "libproj": ("proj", "osgeo:proj", rb"Rel\. (\d+\.\d+\.\d+), "),
    "libgeos_c": ("geos", "osgeo:geos", rb"(\d+\.\d+\.\d+)-CAPI-\d"),
    "libgeos": ("geos", "osgeo:geos", rb"libgeos\.so\.(\d+\.\d+\.\d+)\x00"),
    "libcurl": ("curl", "haxx:libcurl", rb"libcurl/(\d+\.\d+\.\d+)"),
    "libcrypto": ("openssl", "openssl:openssl", rb"OpenSSL (\d+\.\d+\.\d+[a-z]?) +\d"),
    "libssl": ("openssl", "openssl:openssl", rb"OpenSSL (\d+\.\d+\.\d+[a-z]?) +\d"),
    "libsqlite3": (
        "sqlite",
        "sqlite:sqlite",
        rb"(3\.\d{1,2}\.\d{1,2})\x00+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [0-9a-f]{20}"
        rb"|\x00(3\.\d{1,2}\.\d{1,2})\x00",
    ),
    "libtiff": ("libtiff", "libtiff:libtiff", rb"LIBTIFF, Version (\d+\.\d+\.\d+)"),
    "libpng": ("libpng", "libpng:libpng", rb"libpng version (\d+\.\d+\.\d+)"),
    "libhdf5_hl": ("hdf5", "hdfgroup:hdf5", rb"HDF5 library version: (\d+\.\d+\.\d+)"),
    "libhdf5": ("hdf5", "hdfgroup:hdf5", rb"HDF5 library version: (\d+\.\d+\.\d+)"),
    "libnetcdf": ("netcdf-c", "unidata:netcdf-c", rb"\x00(\d+\.\d+\.\d+) of \w{3} +\d+ \d{4}"),
    "libnghttp2": ("nghttp2", "nghttp2:nghttp2", rb"\x00(1\.\d{1,3}\.\d{1,3})\x00"),
    "libz": ("zlib", "zlib:zlib", rb"(?:de|in)flate (\d+\.\d+\.\d+(?:\.\d+)?) Copyright"),
    "libjpeg": ("libjpeg", "ijg:libjpeg", rb"\x00(\d+[a-z]?)  \d{1,2}-\w{3}-\d{4}\x00"),
    "libzstd": ("zstd", "facebook:zstandard", rb"\x00(1\.\d+\.\d+)\x00"),
    "liblzma": ("xz", "tukaani:xz", rb"\x00(5\.\d+\.\d+)\x00"),
    "libopenjp2": ("openjpeg", "uclouvain:openjpeg", rb"\x00(2\.\d+\.\d+)\x00"),
    "libscipy_openblas": ("openblas", "openblas_project:openblas", rb"OpenBLAS (\d+\.\d+\.\d+)"),
    "libopenblas": ("openblas", "openblas_project:openblas", rb"OpenBLAS (\d+\.\d+\.\d+)"),
    "libexpat": ("expat", "libexpat_project:libexpat", rb"expat_(\d+\.\d+\.\d+)"),
    "libxml2": ("libxml2", "xmlsoft:libxml2", rb"\x00(2\.\d+\.\d+)\x00"),
    "libwebp": ("libwebp", "webmproject:libwebp", rb"\x00(1\.\d+\.\d+)\x00"),
    "libgomp": ("libgomp", "gnu:gcc", rb"GCC: \([^)]*\) (\d+\.\d+\.\d+)"),
    "libgfortran": ("libgfortran", "gnu:gcc", rb"GCC: \([^)]*\) (\d+\.\d+\.\d+)"),
}
EMBEDDED: tuple[tuple[str, str, bytes], ...] = (
    ("openssl", "openssl:openssl", rb"OpenSSL (\d+\.\d+\.\d+[a-z]?) +\d{1,2} \w{3} \d{4}"),
    ("zlib", "zlib:zlib", rb"(?:de|in)flate (\d+\.\d+\.\d+(?:\.\d+)?) Copyright"),
)


@dataclass(frozen=True, kw_only=True)
class Library:
    """One upstream library found in a file: `embedded` when linked into another's."""

    name: str
    version: str | None
    cpe: str | None  # cpe:2.3 with the version, for scanners; None without a version
    evidence: str  # what the version was read from
    embedded: bool = False


def soname(data: bytes) -> str | None:
    """DT_SONAME of an ELF shared object (any class and byte order, read by pyelftools),
    or None for anything else."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    if data[:4] != b"\x7fELF":
        return None
    try:
        elf = ELFFile(io.BytesIO(data))
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                for tag in section.iter_tags("DT_SONAME"):
                    return str(tag.soname)  # type: ignore[attr-defined]  # set by pyelftools
    except (ELFError, ValueError, OSError):
        return None
    return None


def stem(filename: str) -> str:
    """`libgdal-c8c9c467.so.36.3.10.3` -> `libgdal`: auditwheel's hash and the ABI gone."""
    base = filename.split(".so", 1)[0]
    return re.sub(r"(-[0-9a-f]{8})+$", "", base)


def _evidence(match: re.Match[bytes]) -> str:
    text = re.sub(rb"\s+", b" ", match.group(0).replace(b"\0", b" ")).strip()
    return f"string {text.decode(errors='replace')!r}"


def _cpe(product: str, version: str) -> str:
    vendor, name = product.split(":")
    return f"cpe:2.3:a:{vendor}:{name}:{version}:*:*:*:*:*:*:*"


def identify(filename: str, data: bytes) -> list[Library]:
    """The library this file is (first) and the ones linked into it."""
    key = stem(filename)
    found: list[Library] = []
    own = _OWN.get(key) or next(  # libpng16, libscipy_openblas64_: a number or _ follows
        (v for k, v in _OWN.items() if re.match(re.escape(k) + r"[0-9_]", key)), None
    )
    if own:
        name, product, pattern = own
        match = re.search(pattern, data)
        version = next(g for g in match.groups() if g).decode() if match else None
        found.append(
            Library(
                name=name,
                version=version,
                cpe=_cpe(product, version) if version else None,
                evidence=_evidence(match) if match else "no version string found",
            )
        )
    else:
        name = key.removeprefix("lib") or key
        found.append(Library(name=name, version=None, cpe=None, evidence="file name only"))
    for name, product, pattern in EMBEDDED:
        if found[0].name == name:
            continue
        match = re.search(pattern, data)
        if match:
            version = match.group(1).decode()
            found.append(
                Library(
                    name=name,
                    version=version,
                    cpe=_cpe(product, version),
                    evidence=_evidence(match),
                    embedded=True,
                )
            )
    return found
