"""Which GDAL/PROJ/GEOS/curl library files are mapped into this process."""

from __future__ import annotations

import os
import re

from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.projdb import major_minor

LIBS = {
    "gdal": re.compile(r"/libgdal[-.]"),
    "proj": re.compile(r"/libproj[-.]"),
    "geos": re.compile(r"/libgeos[-.]"),
    "geos_c": re.compile(r"/libgeos_c[-.]"),
    "curl": re.compile(r"/libcurl[-.]"),
}
_VERSION = re.compile(r"\.so\.([0-9.]+)$")


def library_version(lib: str, path: str) -> str:
    """Version from the file name: libgdal-ab12.so.38.3.12.4 -> 3.12.4 (SONAME dropped)."""
    m = _VERSION.search(os.path.basename(path))
    if not m:
        return "?"
    parts = m.group(1).split(".")
    if lib in ("gdal", "proj") and len(parts) >= 4:
        parts = parts[1:]
    return ".".join(parts)


def mapped_libraries(maps_file: str = "/proc/self/maps") -> dict[str, list[dict[str, str]]]:
    """{lib: [{path, version}]} for each distinct file mapped into the process."""
    try:
        with open(maps_file, encoding="utf-8", errors="replace") as fh:
            paths = {ln.split(None, 5)[5].strip() for ln in fh if len(ln.split(None, 5)) == 6}
    except OSError:
        return {}
    out: dict[str, list[dict[str, str]]] = {}
    for path in sorted(paths):
        for lib, pattern in LIBS.items():
            if pattern.search(path):
                out.setdefault(lib, []).append(
                    {"path": path, "version": library_version(lib, path)}
                )
    return out


def check_copies(mapped: dict[str, list[dict[str, str]]], findings: Findings) -> None:
    for lib in ("gdal", "proj", "geos_c"):
        copies = mapped.get(lib, [])
        if len(copies) > 1:
            versions = ", ".join(f"{c['version']} ({c['path']})" for c in copies)
            findings.warning(
                "libs.multiple-copies",
                f"{len(copies)} copies of lib{lib} are loaded in one process: {versions}",
                "use one build of the library for every binding (gisbox's `system` strategy), "
                "or make sure objects never cross between bindings",
            )


def check_skew(carried: dict[str, dict[str, str | None]], findings: Findings) -> None:
    """Bindings that carry different GDAL / PROJ / GEOS versions."""
    for lib in ("gdal", "proj", "geos"):
        seen = {name: v[lib] for name, v in carried.items() if v.get(lib)}
        built = {
            name: v.get(f"{lib}_built") for name, v in carried.items() if v.get(f"{lib}_built")
        }
        for name, version in built.items():
            if seen.get(name) and major_minor(version) != major_minor(seen[name]):
                findings.warning(
                    "libs.build-runtime-mismatch",
                    f"{name} was built against {lib.upper()} {version} but runs with {seen[name]}",
                    "reinstall the binding so that it matches the library it loads",
                )
        if len(set(seen.values())) > 1:
            detail = ", ".join(f"{name} {lib.upper()} {ver}" for name, ver in sorted(seen.items()))
            findings.warning(
                "libs.version-skew",
                f"bindings (or the GDAL/PROJ command-line tools) carry different {lib.upper()} "
                f"versions: {detail}",
                "pin binding versions that share one library version, or use the `system` "
                "strategy; results may differ between bindings",
            )
