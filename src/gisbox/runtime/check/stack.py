"""Which geospatial bindings are present, and the GDAL/PROJ/GEOS each carries."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

# Import order matters little, but importing every present binding is the point:
# a broken wheel (NumPy ABI mismatch, missing shared library) fails here.
BINDINGS = (
    "numpy",
    "pyproj",
    "shapely",
    "pyogrio",
    "fiona",
    "rasterio",
    "osgeo.gdal",
    "pandas",
    "geopandas",
    "xarray",
    "rioxarray",
    "pystac_client",
)


def present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def import_all() -> tuple[dict[str, Any], dict[str, str]]:
    """Import every present binding; return (modules, {name: error})."""
    modules: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in BINDINGS:
        if not present(name.split(".")[0]):
            continue
        try:
            modules[name] = importlib.import_module(name)
        except Exception as exc:  # any failure at import is the finding
            errors[name] = one_line(exc)
    return modules, errors


# Which C library a Python package's failure comes from, for "blame the right library".
LIBRARY_OF = {
    "pyproj": "PROJ (pyproj)",
    "rasterio": "GDAL (rasterio)",
    "pyogrio": "GDAL (pyogrio)",
    "osgeo": "GDAL (osgeo)",
    "fiona": "GDAL (fiona)",
    "shapely": "GEOS (shapely)",
    "geopandas": "geopandas",
}


def blame(exc: BaseException) -> str:
    """The library an exception came from: the innermost traceback frame in a known package
    (or the exception's own module), e.g. "PROJ (pyproj)" for a CRSError raised while
    geopandas set a CRS; "Python" when none is known."""
    modules = [type(exc).__module__]
    tb = exc.__traceback__
    while tb is not None:
        modules.append(str(tb.tb_frame.f_globals.get("__name__", "")))
        tb = tb.tb_next
    for name in [modules[0], *reversed(modules[1:])]:
        top = name.split(".")[0]
        if top in LIBRARY_OF:
            return LIBRARY_OF[top]
    return "Python"


def one_line(exc: BaseException) -> str:
    """A one-line reason: NumPy-style long messages keep their 'Original error'."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    original = [ln for ln in lines if ln.startswith("Original error")]
    text = original[-1] if original else (lines[0] if lines else "")
    return f"{type(exc).__name__}: {text}"


def _attr(mod: Any, *names: str) -> str | None:
    for name in names:
        value = getattr(mod, name, None)
        if value is not None:
            return str(value)
    return None


def carried_versions(modules: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    """For each binding: its version and the GDAL/PROJ/GEOS versions it runs with."""
    out: dict[str, dict[str, str | None]] = {}
    if "pyproj" in modules:
        m = modules["pyproj"]
        out["pyproj"] = {
            "version": m.__version__,
            "proj": _attr(m, "proj_version_str"),  # the PROJ it runs with
            "proj_built": _attr(m, "__proj_version__"),  # the PROJ it was compiled against
        }
    if "shapely" in modules:
        m = modules["shapely"]
        out["shapely"] = {"version": m.__version__, "geos": _attr(m, "geos_version_string")}
    if "rasterio" in modules:
        m = modules["rasterio"]
        out["rasterio"] = {
            "version": m.__version__,
            "gdal": _attr(m, "__gdal_version__"),
            "proj": _attr(m, "__proj_version__"),
            "geos": _attr(m, "__geos_version__"),
        }
    if "pyogrio" in modules:
        m = modules["pyogrio"]
        geos = getattr(m, "__gdal_geos_version__", None)
        out["pyogrio"] = {
            "version": m.__version__,
            "gdal": _attr(m, "__gdal_version_string__"),
            "geos": ".".join(str(v) for v in geos) if isinstance(geos, tuple) else None,
        }
    if "fiona" in modules:
        m = modules["fiona"]
        out["fiona"] = {"version": m.__version__, "gdal": _attr(m, "__gdal_version__")}
    if "osgeo.gdal" in modules:
        m = modules["osgeo.gdal"]
        osr = importlib.import_module("osgeo.osr")
        proj = ".".join(
            str(f())
            for f in (osr.GetPROJVersionMajor, osr.GetPROJVersionMinor, osr.GetPROJVersionMicro)
        )
        out["osgeo.gdal"] = {"version": m.__version__, "gdal": m.__version__, "proj": proj}
    for name in ("numpy", "pandas", "geopandas", "xarray", "rioxarray", "pystac_client"):
        if name in modules:
            out[name] = {"version": _attr(modules[name], "__version__")}
    return out
