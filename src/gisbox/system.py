"""The `system` strategy's knowledge: which bindings compile against the OS's GDAL/PROJ/GEOS,
which versions of them each OS library supports, and what compiling them needs.

Minimum library versions come from each binding's release notes: pyproj 3.7 needs
PROJ >= 9.2 and 3.8 needs PROJ >= 9.4; rasterio 1.4 needs GDAL >= 3.5; shapely 2.1
needs GEOS >= 3.9; pyogrio 0.10 needs GDAL >= 3.4; fiona 1.10 needs GDAL >= 3.4. The
GDAL bindings (`gdal` on PyPI, imported as osgeo) must match the OS's GDAL exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.version import Version

from gisbox.runtime.errors import LockError

# binding -> the OS library it links, and (first binding version, library version it needs)
MINIMUMS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "pyproj": ("proj", (("3.7", "9.2"), ("3.8", "9.4"))),
    "rasterio": ("gdal", (("1.4", "3.5"),)),
    "shapely": ("geos", (("2.1", "3.9"),)),
    "pyogrio": ("gdal", (("0.10", "3.4"),)),
    "fiona": ("gdal", (("1.10", "3.4"),)),
}
SOURCE_BINDINGS = (*MINIMUMS, "gdal")
# Builds run without isolation, so what a build backend would fetch dynamically is listed
# here: meson-python asks for ninja, the GDAL bindings' setup.py imports numpy.
EXTRA_BUILD_REQUIREMENTS = {"meson-python": ("ninja",), "setuptools": ("wheel",)}


# Caps found by building here: pyproj 3.6 compiled with Cython 3.1 imports, then fails at
# run time ("TypeError: expected bytes, str found" from pyproj._crs).
BUILD_CAPS = {"pyproj": (("3.7", ("cython<3.1",)),)}


def build_caps(name: str, version: str) -> list[str]:
    caps: list[str] = []
    for below, extra in BUILD_CAPS.get(name, ()):
        if Version(version) < Version(below):
            caps += extra
    return caps


def build_requirements(declared: list[str], numpy: str | None) -> list[str]:
    """The sdists' declared build requirements, plus what their backends add, with NumPy
    pinned to the runtime's version so the extensions compile against the NumPy they run with."""
    reqs = [r for r in declared if Requirement(r).name.lower() != "numpy"]
    names = {Requirement(r).name.lower() for r in reqs}
    for name, extra in EXTRA_BUILD_REQUIREMENTS.items():
        if name in names:
            reqs += [e for e in extra if e not in names]
    if numpy:
        reqs.append(f"numpy=={numpy}")
    return sorted(set(reqs))


DEV_PACKAGES = {"gdal": "libgdal-dev", "proj": "libproj-dev", "geos": "libgeos-dev"}
BUILDER_TOOLS = ("build-essential",)


@dataclass(frozen=True, kw_only=True)
class OsLibraries:
    base: str
    versions: dict[str, str]  # gdal/proj/geos -> upstream version, e.g. "3.6.2"


def upstream(debian_version: str) -> str:
    """'3.6.2+dfsg-1+b2' -> '3.6.2'."""
    return debian_version.split("+")[0].split("-")[0].split("~")[0]


def _lower_bound(req: Requirement) -> Version | None:
    bounds = [
        Version(s.version)
        for s in req.specifier
        if s.operator in (">=", "==", "~=", ">", "===") and "*" not in s.version
    ]
    return max(bounds) if bounds else None


def constrain(requirements: list[str], libs: OsLibraries, want_gdal: bool) -> list[str]:
    """Add the upper bounds the OS libraries impose; refuse impossible pins clearly."""
    names = {Requirement(r).name.lower(): Requirement(r) for r in requirements}
    extra: list[str] = []
    for binding, (lib, steps) in MINIMUMS.items():
        have = Version(libs.versions[lib])
        for first, needs in steps:
            if have >= Version(needs):
                continue
            req = names.get(binding)
            low = _lower_bound(req) if req else None
            if low is not None and low >= Version(first):
                raise LockError(
                    f"{binding} {first} needs {lib.upper()} >= {needs}; {libs.base} has "
                    f"{lib.upper()} {libs.versions[lib]} (requirement {str(req)!r})",
                    hint=f'pin {binding}<{first}, or use strategy = "wheels", or a base with '
                    f"a newer {lib.upper()}",
                )
            extra.append(f"{binding}<{first}")
            break
    if want_gdal:
        gdal = names.get("gdal")
        version = libs.versions["gdal"]
        if gdal is not None and gdal.specifier and not gdal.specifier.contains(version):
            raise LockError(
                f"the GDAL bindings must match the OS's GDAL: {libs.base} has GDAL {version}, "
                f"the spec asks for {str(gdal)!r}",
                hint=f"drop the pin: gisbox adds gdal=={version}",
            )
        extra.append(f"gdal=={version}")
    return extra
