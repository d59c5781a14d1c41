"""Golden coordinate transformations through every binding, axis order, and grids."""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Callable
from typing import Any

from gisbox.runtime.findings import Findings
from gisbox.runtime.golden import CASES, Case, web_mercator
from gisbox.runtime.stack import one_line

Adapter = Callable[[Case], tuple[float, ...]]
GOLDEN = CASES[0]  # EPSG:4326 -> EPSG:3857, lon 15 lat 12


def _is3d(case: Case) -> bool:
    return len(case.expected) == 3


def _pyproj(case: Case) -> tuple[float, ...]:
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", case.target, always_xy=True)
    return tuple(t.transform(*case.lonlat, 0.0) if _is3d(case) else t.transform(*case.lonlat))


def _rasterio(case: Case) -> tuple[float, ...]:
    from rasterio.warp import transform

    lon, lat = case.lonlat
    if _is3d(case):
        xs, ys, zs = transform("EPSG:4326", case.target, [lon], [lat], zs=[0.0])
        return xs[0], ys[0], zs[0]
    xs, ys = transform("EPSG:4326", case.target, [lon], [lat])
    return xs[0], ys[0]


def _osr(case: Case, traditional: bool = True, swap: bool = False) -> tuple[float, ...]:
    from osgeo import osr

    osr.UseExceptions()
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(4326)
    dst.SetFromUserInput(case.target)
    if traditional:
        src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    a, b = case.lonlat[::-1] if swap else case.lonlat
    x, y, z = osr.CoordinateTransformation(src, dst).TransformPoint(a, b, 0.0)
    return (x, y, z) if _is3d(case) else (x, y)


def _geopandas(case: Case) -> tuple[float, ...]:
    import geopandas

    if _is3d(case):
        raise NotImplementedError
    s = geopandas.GeoSeries.from_xy([case.lonlat[0]], [case.lonlat[1]], crs="EPSG:4326")
    p = s.to_crs(case.target).iloc[0]
    return p.x, p.y


ADAPTERS: dict[str, Adapter] = {
    "pyproj": _pyproj,
    "rasterio": _rasterio,
    "osgeo.gdal": _osr,
    "geopandas": _geopandas,
}


def distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


def run_golden(modules: dict[str, Any], findings: Findings) -> dict[str, Any]:
    probes: dict[str, Any] = {}
    for binding, adapter in ADAPTERS.items():
        if binding not in modules:
            continue
        for case in CASES:
            try:
                got = adapter(case)
            except NotImplementedError:
                continue
            except Exception as exc:
                findings.error(
                    "transform.failed",
                    f"{binding}: EPSG:4326->{case.target} failed: {one_line(exc)}",
                    "check the proj.db this binding uses (see data.* findings)",
                )
                continue
            probes[f"transform.{binding}.{case.id}"] = {
                "value": list(got),
                "tolerance": case.tolerance,
                "unit": "m",
            }
            off = distance(got, case.expected)
            if off > case.tolerance:
                findings.error(
                    "transform.golden",
                    f"{binding}: EPSG:4326->{case.target} of lon {case.lonlat[0]} lat "
                    f"{case.lonlat[1]} is off by {off:.6g} m (tolerance {case.tolerance} m; "
                    f"reference: {case.source})",
                    "compare the PROJ version and proj.db of this binding with the others",
                )
    return probes


def run_axis_order(modules: dict[str, Any], findings: Findings) -> dict[str, Any]:
    """EPSG:4326 in authority order is latitude, longitude; check bindings honour it."""
    probes: dict[str, Any] = {}
    checks: list[tuple[str, Callable[[], tuple[float, ...]]]] = []
    if "pyproj" in modules:

        def pyproj_authority() -> tuple[float, ...]:
            from pyproj import Transformer

            t = Transformer.from_crs("EPSG:4326", "EPSG:3857")  # authority order: lat, lon
            return tuple(t.transform(GOLDEN.lonlat[1], GOLDEN.lonlat[0]))

        checks.append(("pyproj", pyproj_authority))
    if "osgeo.gdal" in modules:
        checks.append(("osgeo.gdal", lambda: _osr(GOLDEN, traditional=False, swap=True)))
    for binding, fn in checks:
        try:
            got = fn()
        except Exception as exc:
            findings.error(
                "transform.failed", f"{binding}: authority-order transform failed: {one_line(exc)}"
            )
            continue
        probes[f"axis.{binding}.authority"] = {"value": list(got), "tolerance": 1e-3, "unit": "m"}
        if distance(got, GOLDEN.expected) > 1e-3:
            # treating (12, 15) as lon 12, lat 15 is the classic swapped-axes result
            swapped = distance(got, web_mercator(GOLDEN.lonlat[1], GOLDEN.lonlat[0])) < 1e-3
            findings.error(
                "transform.axis-order",
                f"{binding}: EPSG:4326 given as (latitude, longitude) = (12, 15) did not give "
                f"{GOLDEN.expected}; got {tuple(round(v, 3) for v in got)}"
                + (" (the axes were swapped)" if swapped else ""),
                "EPSG:4326 is latitude/longitude in the authority's order; use always_xy=True "
                "or OAMS_TRADITIONAL_GIS_ORDER for longitude/latitude input",
            )
    return probes


def _accuracy(metres: float) -> str:
    return "unknown accuracy" if metres < 0 else f"accuracy {metres} m"


def run_grids(modules: dict[str, Any], findings: Findings, accuracy: bool) -> dict[str, Any]:
    """NAD27 -> NAD83 needs a grid (conus); report whether only a ballpark is available."""
    if "pyproj" not in modules:
        return {}
    pyproj = importlib.import_module("pyproj")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the finding below says it better
            group = pyproj.transformer.TransformerGroup("EPSG:4267", "EPSG:4269", always_xy=True)
    except Exception as exc:
        findings.error("transform.failed", f"pyproj: NAD27->NAD83 failed: {one_line(exc)}")
        return {}
    if not group.transformers:
        findings.error("grids.none", "pyproj: no NAD27->NAD83 transformation is available")
        return {}
    best = group.transformers[0]
    x, y = best.transform(-100.0, 40.0)
    ballpark = "ballpark" in best.description.lower()
    result = {
        "grids.nad27-nad83": {"value": [x, y], "tolerance": 1e-6, "unit": "deg"},
        "grids.nad27-nad83.operation": best.description,
        "grids.nad27-nad83.best_available": bool(group.best_available),
    }
    if not group.best_available or ballpark:
        missing = sorted(
            {
                g.short_name
                for op in group.unavailable_operations
                for g in op.grids
                if not g.available
            }
        )
        findings.add(
            "grids.ballpark" if ballpark else "grids.best-unavailable",
            "error" if accuracy else "warning",
            f"NAD27->NAD83 uses '{best.description}' ({_accuracy(best.accuracy)}); the best "
            f"transformation needs grids that are not installed: {', '.join(missing) or '?'}",
            "install the grids (projsync --file NAME, or the proj-data package matching your "
            "PROJ) or enable PROJ_NETWORK=ON",
        )
    return result
