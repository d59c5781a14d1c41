"""The proj.db and GDAL data directory each binding actually uses."""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.projdb import (
    PROJ_ENV,
    check_proj_db_matches,
    gdal_data_ok,
    read_proj_db,
)
from gisbox.runtime.check.stack import one_line

SYSTEM_PROJ_DIRS = ("/usr/share/proj", "/usr/local/share/proj")
SYSTEM_GDAL_DIRS = ("/usr/share/gdal", "/usr/local/share/gdal")


def _first_with_proj_db(paths: list[str]) -> str | None:
    return next((p for p in paths if os.path.isfile(os.path.join(p, "proj.db"))), None)


def _env_proj_dir() -> str | None:
    for var in PROJ_ENV:
        if os.environ.get(var):
            return os.environ[var].split(os.pathsep)[0]
    return None


def package_dir(name: str) -> str | None:
    spec = importlib.util.find_spec(name)
    locations = list(spec.submodule_search_locations or []) if spec else []
    return locations[0] if locations else None


def _gdal(binding: str, path: str | None, findings: Findings) -> dict[str, Any]:
    ok = gdal_data_ok(path)
    if not ok:
        findings.error(
            "data.gdal-data-missing",
            f"{binding}: GDAL data directory not found or empty ({path})",
            "unset GDAL_DATA (wheels carry their own), or point it at GDAL's share/gdal",
        )
    return {"path": path, "ok": ok}


# Where a wheel keeps its own data, relative to its package directory (proj, gdal).
BUNDLED = {
    "pyproj": ("proj_dir/share/proj", None),
    "rasterio": ("proj_data", "gdal_data"),
    "fiona": ("proj_data", "gdal_data"),
}


def probe_unimported(binding: str, findings: Findings) -> dict[str, Any]:
    """The data a binding that failed to import carries, read by path: a broken import may
    come from broken data, and then the data's finding names the cause."""
    pkg = package_dir(binding)
    if pkg is None or binding not in BUNDLED:
        return {}
    proj_rel, gdal_rel = BUNDLED[binding]
    out: dict[str, Any] = {"imported": False}
    proj_dir = os.path.join(pkg, proj_rel)
    if os.path.isdir(proj_dir):  # a wheel: its own proj.db, read as its PROJ would
        db = read_proj_db(proj_dir)
        check_proj_db_matches(f"{binding} (not importable)", None, db, findings)
        out["proj_db"] = db
    gdal_dir = os.path.join(pkg, gdal_rel) if gdal_rel else ""
    if gdal_dir and os.path.isdir(gdal_dir):
        out["gdal_data"] = _gdal(f"{binding} (not importable)", gdal_dir, findings)
    return out


def probe(binding: str, modules: dict[str, Any], findings: Findings) -> dict[str, Any]:
    """{"proj_db": {...}, "gdal_data": {...}} for one binding (modules may lack it: pyogrio)."""
    try:
        return _probe(binding, modules, findings)
    except Exception as exc:
        findings.error("data.probe-failed", f"{binding}: {one_line(exc)}")
        return {}


def _probe(binding: str, modules: dict[str, Any], findings: Findings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if binding == "pyproj":
        pyproj = modules["pyproj"]
        db = read_proj_db(pyproj.datadir.get_data_dir())
        check_proj_db_matches("pyproj", pyproj.proj_version_str, db, findings)
        out["proj_db"] = db
    elif binding == "rasterio":
        from rasterio._env import GDALDataFinder, get_proj_data_search_paths

        rasterio = modules["rasterio"]
        db = read_proj_db(_first_with_proj_db(list(get_proj_data_search_paths())))
        check_proj_db_matches("rasterio", getattr(rasterio, "__proj_version__", None), db, findings)
        out["proj_db"] = db
        # A wheel finds its bundled data; a build against the OS's GDAL uses GDAL's
        # compiled-in directory, which rasterio's finder does not report.
        found = os.environ.get("GDAL_DATA") or GDALDataFinder().search()
        found = found or next((d for d in SYSTEM_GDAL_DIRS if os.path.isdir(d)), None)
        out["gdal_data"] = _gdal("rasterio", found, findings)
    elif binding == "pyogrio":
        # Without importing pyogrio (loading its GDAL takes ~0.4 s): a wheel bundles its
        # data and uses it unless PROJ_DATA/PROJ_LIB/GDAL_DATA say otherwise; a build
        # against the OS's GDAL uses the OS's data directories.
        pkg = package_dir("pyogrio")
        bundled = read_proj_db(os.path.join(pkg, "proj_data")) if pkg else None
        system = read_proj_db(_first_with_proj_db(list(SYSTEM_PROJ_DIRS)))
        env_dir = _env_proj_dir()
        db = read_proj_db(env_dir) if env_dir else (bundled or system)
        check_proj_db_matches("pyogrio", (bundled or system or {}).get("proj"), db, findings)
        out["proj_db"] = db
        own = os.path.join(pkg, "gdal_data") if pkg else None
        defaults = [own] if own and os.path.isdir(own) else list(SYSTEM_GDAL_DIRS)
        gdal_dir = os.environ.get("GDAL_DATA") or next(
            (d for d in defaults if d and os.path.isdir(d)), defaults[0]
        )
        out["gdal_data"] = _gdal("pyogrio", gdal_dir, findings)
    elif binding == "osgeo.gdal":
        gdal = modules["osgeo.gdal"]
        osr = importlib.import_module("osgeo.osr")
        proj = ".".join(
            str(f())
            for f in (osr.GetPROJVersionMajor, osr.GetPROJVersionMinor, osr.GetPROJVersionMicro)
        )
        db = read_proj_db(_first_with_proj_db(list(osr.GetPROJSearchPaths() or [])))
        check_proj_db_matches("osgeo.gdal", proj, db, findings)
        out["proj_db"] = db
        found = gdal.FindFile("gdal", "header.dxf") or gdal.FindFile("gdal", "gdalvrt.xsd")
        out["gdal_data"] = _gdal("osgeo.gdal", os.path.dirname(found) if found else None, findings)
    return out
