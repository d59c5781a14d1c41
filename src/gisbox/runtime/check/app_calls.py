"""The check sees what the application sees: PROJ's and GDAL's configuration variables
judged by calling the libraries the way applications call them, with their defaults.

Other probes call the libraries in the check's own way (pyproj with always_xy, GDAL with
the traditional axis order), which a variable may not affect the way it affects an
application. Here each call is an application's: `Transformer.from_crs(a, b)` and
`transform` with pyproj's defaults (the authority's axis order), rasterio's
`warp.transform` and a GeoTIFF written and read, GDAL's `osr.CoordinateTransformation`
with GDAL's defaults (osgeo), a GeoPackage written and read with pyogrio.

When a call fails, returns a non-finite number or another result than the golden one, and
variables of `VARIABLES` are set, each is taken away in turn in a fresh interpreter: the
one whose absence gives the right result is named in an error, with the library and the
call (`config.changes-results`). A failure no variable explains is `app.call-fails`. The
variables that are set go into the fingerprint (`runtime` → `config.set`). Standard
library and the stack only.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.golden import web_mercator


@dataclass(frozen=True)
class Variable:
    library: str
    changes: str  # what it changes, in docs/check.md's words
    finding: str  # the finding that reports it


VARIABLES = {
    "PROJ_DATA": Variable("PROJ", "where proj.db and grids are read", "config.changes-results"),
    "PROJ_LIB": Variable("PROJ", "the same, before PROJ 9.1", "config.changes-results"),
    "PROJ_ONLY_BEST_DEFAULT": Variable(
        "PROJ", "refuse a ballpark transformation when the best one's grids are missing",
        "config.changes-results",
    ),
    "PROJ_NETWORK": Variable(
        "PROJ", "grids fetched from the CDN: other results (infinity when unreachable)",
        "config.changes-results",
    ),
    "PROJ_IGNORE_CELESTIAL_BODY": Variable(
        "PROJ", "transformations between bodies allowed", "config.set"
    ),
    "OSR_DEFAULT_AXIS_MAPPING_STRATEGY": Variable(
        "GDAL", "GDAL's axis order (TRADITIONAL_GIS_ORDER: longitude first)",
        "config.changes-results",
    ),
    "OGR_CT_FORCE_TRADITIONAL_GIS_ORDER": Variable(
        "GDAL", "OGR's coordinate transformations in longitude, latitude order",
        "config.changes-results",
    ),
    "GDAL_SKIP": Variable("GDAL", "raster drivers not registered", "config.changes-results"),
    "OGR_SKIP": Variable("GDAL", "vector drivers not registered", "config.changes-results"),
    "GDAL_DRIVER_PATH": Variable("GDAL", "where driver plug-ins load from", "config.set"),
    "CHECK_WITH_INVERT_PROJ": Variable(
        "GDAL", "points near a projection's edge checked by inverting", "config.set"
    ),
    "OGR_ENABLE_PARTIAL_REPROJECTION": Variable(
        "GDAL", "geometries partly outside a CRS's area kept in part", "config.set"
    ),
}  # fmt: skip
LAT, LON = 12.0, 15.0  # the golden point
TOLERANCE_M = 0.01


def _close(got: tuple[float, float]) -> bool:
    want = web_mercator(LON, LAT)
    return all(
        math.isfinite(g) and abs(g - w) <= TOLERANCE_M for g, w in zip(got, want, strict=True)
    )


def _pyproj() -> tuple[float, float]:
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857").transform(LAT, LON)
    return x, y


def _pyproj_nad27() -> tuple[float, float]:
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4267", "EPSG:4269").transform(40.0, -100.0)
    return (0.0, 0.0) if math.isfinite(x) and math.isfinite(y) else (x, y)


def _rasterio_warp() -> tuple[float, float]:
    from rasterio.warp import transform

    xs, ys = transform("EPSG:4326", "EPSG:3857", [LON], [LAT])
    return xs[0], ys[0]


def _rasterio_geotiff() -> bool:
    import numpy
    import rasterio
    from rasterio.transform import from_origin

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.tif"
        with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1,
                           dtype="uint8", crs="EPSG:3857",
                           transform=from_origin(0, 0, 1, 1)) as dst:  # fmt: skip
            dst.write(numpy.full((1, 2, 2), 3, dtype="uint8"))
        with rasterio.open(path) as src:
            return int(src.read(1)[0, 0]) == 3


def _osr() -> tuple[float, float]:
    from osgeo import osr

    osr.UseExceptions()
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(4326)
    dst.ImportFromEPSG(3857)
    x, y, _ = osr.CoordinateTransformation(src, dst).TransformPoint(LAT, LON)
    return x, y


def _pyogrio_gpkg() -> bool:
    import geopandas
    import pyogrio

    frame = geopandas.GeoDataFrame({"v": [1]}, geometry=geopandas.points_from_xy([LON], [LAT]),
                                   crs="EPSG:4326")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.gpkg"
        pyogrio.write_dataframe(frame, path, driver="GPKG")
        return list(pyogrio.read_dataframe(path)["v"]) == [1]


@dataclass(frozen=True)
class Call:
    id: str  # the fingerprint's key: app.<id>
    name: str  # as an application writes it
    library: str
    needs: tuple[str, ...]  # the modules it needs
    run: Callable[[], Any]
    good: Callable[[Any], bool]
    writes: bool = False  # writes a temporary file: skipped without a writable temp dir


PYPROJ, RASTERIO = "PROJ (pyproj)", "GDAL (rasterio)"
CALLS = {
    c.id: c
    for c in (
        Call("pyproj.transform",
             "pyproj Transformer.from_crs('EPSG:4326', 'EPSG:3857').transform(lat, lon)",
             PYPROJ, ("pyproj",), _pyproj, _close),
        Call("pyproj.nad27",
             "pyproj Transformer.from_crs('EPSG:4267', 'EPSG:4269').transform(lat, lon)",
             PYPROJ, ("pyproj",), _pyproj_nad27, lambda r: r == (0.0, 0.0)),
        Call("rasterio.warp",
             "rasterio.warp.transform('EPSG:4326', 'EPSG:3857', [lon], [lat])",
             RASTERIO, ("rasterio",), _rasterio_warp, _close),
        Call("rasterio.geotiff", "rasterio.open(path, 'w', driver='GTiff'), then read",
             RASTERIO, ("rasterio",), _rasterio_geotiff, bool, writes=True),
        Call("osgeo.osr",
             "osr.CoordinateTransformation(EPSG:4326, EPSG:3857).TransformPoint(lat, lon)",
             "GDAL (osgeo)", ("osgeo.gdal",), _osr, _close),
        Call("pyogrio.gpkg", "pyogrio.write_dataframe(frame, 'a.gpkg'), then read",
             "GDAL (pyogrio)", ("pyogrio", "geopandas"), _pyogrio_gpkg, bool, writes=True),
    )
}  # fmt: skip


def outcome(call_id: str) -> str:
    """ "ok", or what went wrong with the call (its result or error)."""
    call = CALLS[call_id]
    try:
        result = call.run()
    except Exception as exc:  # an application would see this error
        return f"fails: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    if call.good(result):
        return "ok"
    if isinstance(result, tuple) and not all(math.isfinite(v) for v in result):
        return f"returns a non-finite result {result}"
    return f"returns {result}, not the expected result"


def outcome_without(call_id: str, variable: str) -> str:
    """The call's outcome in a fresh interpreter whose environment lacks `variable`."""
    env = {k: v for k, v in os.environ.items() if k != variable}
    package_root = str(Path(__file__).resolve().parents[3])
    code = (
        f"import sys; sys.path.insert(0, {package_root!r}); "
        "from gisbox.runtime.check.app_calls import outcome; import json; "
        f"print(json.dumps(outcome({call_id!r})))"
    )
    try:
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=120, check=False)  # fmt: skip
        return str(json.loads(res.stdout.strip().splitlines()[-1]))
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def run_app_calls(
    modules: dict[str, Any], findings: Findings, can_write: bool = True
) -> dict[str, Any]:
    """Each application call with this environment; errors for wrong outcomes, naming the
    variable that causes them when one does. Without a writable temporary directory
    (`runtime.tmp-not-writable` says so) the calls that write files are left out."""
    set_here = {v: os.environ[v] for v in VARIABLES if os.environ.get(v)}
    out: dict[str, Any] = {"config.set": set_here}
    for call_id, call in CALLS.items():
        if not all(m in modules for m in call.needs) or (call.writes and not can_write):
            continue
        got = outcome(call_id)
        out[f"app.{call_id}"] = got
        if got == "ok":
            continue
        name = call.name
        blamed = [v for v in set_here if outcome_without(call_id, v) == "ok"]
        if blamed:
            names = ", ".join(f"{v}={set_here[v]}" for v in blamed)
            findings.error(
                "config.changes-results",
                f"{names} changes what applications get from {call.library}: {name} {got} "
                f"(without {', '.join(blamed)}: the expected result)",
                f"unset {', '.join(blamed)} ({'; '.join(VARIABLES[v].changes for v in blamed)})",
            )
        else:
            findings.error(
                "app.call-fails",
                f"{call.library}: {name} {got}, as an application would call it",
                "see the other findings about this library's data and configuration",
            )
    return out
