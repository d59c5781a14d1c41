"""`gisbox healthcheck`: the fast subset of the verification suite.

Imports the stack, finds PROJ's and GDAL's data for each binding and
transforms EPSG:4326 -> EPSG:3857 through each binding present, comparing
with golden values to 1 mm. Exit 0 when healthy, 1 with one line on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from gisbox.runtime.stack import carried_versions, import_all

# EPSG:4326 -> EPSG:3857, lon 15 lat 12 (values from PROJ/pyproj's test suites).
GOLDEN_LONLAT = (15.0, 12.0)
GOLDEN_XY = (1669792.3618991035, 1345708.4084091093)
TOLERANCE_M = 1e-3
GDAL_DATA_MARKERS = ("gdalvrt.xsd", "header.dxf", "pcs.override.csv")


class Unhealthy(Exception):
    """One-line reason the environment is not healthy."""


def _near(xy: tuple[float, float], what: str) -> None:
    dx, dy = abs(xy[0] - GOLDEN_XY[0]), abs(xy[1] - GOLDEN_XY[1])
    if not (dx <= TOLERANCE_M and dy <= TOLERANCE_M):
        raise Unhealthy(
            f"{what}: EPSG:4326->EPSG:3857 of lon 15 lat 12 gave ({xy[0]!r}, {xy[1]!r}), "
            f"expected {GOLDEN_XY} within {TOLERANCE_M} m"
        )


def _gdal_data_ok(path: str | None, who: str) -> str:
    if not path or not os.path.isdir(path):
        raise Unhealthy(f"{who}: GDAL data directory not found (got {path!r}); check GDAL_DATA")
    if not any(os.path.exists(os.path.join(path, m)) for m in GDAL_DATA_MARKERS):
        raise Unhealthy(f"{who}: {path} holds no GDAL data files ({', '.join(GDAL_DATA_MARKERS)})")
    return path


def check_pyproj(pyproj: Any) -> dict[str, Any]:
    datadir = pyproj.datadir.get_data_dir()
    db = os.path.join(datadir, "proj.db")
    if not os.path.isfile(db):
        raise Unhealthy(f"pyproj: proj.db not found in {datadir}; check PROJ_DATA/PROJ_LIB")
    t = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    _near(t.transform(*GOLDEN_LONLAT), "pyproj")
    return {"proj_data": datadir}


def check_rasterio(rasterio: Any) -> dict[str, Any]:
    from rasterio._env import GDALDataFinder  # rasterio's own search order
    from rasterio.warp import transform

    gdal_data = os.environ.get("GDAL_DATA") or GDALDataFinder().search()
    _gdal_data_ok(gdal_data, "rasterio")
    with rasterio.Env():
        xs, ys = transform("EPSG:4326", "EPSG:3857", [GOLDEN_LONLAT[0]], [GOLDEN_LONLAT[1]])
    _near((xs[0], ys[0]), "rasterio")
    return {"gdal_data": gdal_data}


def check_pyogrio(pyogrio: Any) -> dict[str, Any]:
    path = pyogrio.get_gdal_data_path()
    return {"gdal_data": _gdal_data_ok(path, "pyogrio")}


def check_osgeo(gdal: Any) -> dict[str, Any]:
    from osgeo import osr

    gdal.UseExceptions()
    osr.UseExceptions()
    found = gdal.FindFile("gdal", "header.dxf") or gdal.FindFile("gdal", "gdalvrt.xsd")
    _gdal_data_ok(os.path.dirname(found) if found else None, "osgeo.gdal")
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(4326)
    dst.ImportFromEPSG(3857)
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x, y, _ = osr.CoordinateTransformation(src, dst).TransformPoint(*GOLDEN_LONLAT)
    _near((x, y), "osgeo.osr")
    return {"gdal_data": os.path.dirname(found)}


CHECKS = {
    "pyproj": check_pyproj,
    "rasterio": check_rasterio,
    "pyogrio": check_pyogrio,
    "osgeo.gdal": check_osgeo,
}


def run() -> dict[str, Any]:
    """Run the probes; raise Unhealthy with the first problem."""
    started = time.perf_counter()
    modules, errors = import_all()
    if errors:
        name, err = next(iter(errors.items()))
        raise Unhealthy(f"import {name} failed: {err}")
    if "pyproj" not in modules and "osgeo.gdal" not in modules and "rasterio" not in modules:
        raise Unhealthy("no PROJ binding (pyproj, rasterio or osgeo.gdal) is installed")
    data = {name: check(modules[name]) for name, check in CHECKS.items() if name in modules}
    return {
        "healthy": True,
        "bindings": carried_versions(modules),
        "data": data,
        "seconds": round(time.perf_counter() - started, 3),
    }


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    try:
        report = run()
    except Unhealthy as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        if as_json:
            print(json.dumps({"healthy": False, "reason": str(exc)}))
        return 1
    except Exception as exc:  # an unexpected crash is unhealthy too, never a traceback
        print(f"unhealthy: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    print(json.dumps(report, sort_keys=True) if as_json else "healthy")
    return 0
