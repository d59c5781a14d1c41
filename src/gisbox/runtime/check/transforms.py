"""Golden coordinate transformations through every binding, axis order, and grids."""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Callable
from typing import Any

from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.golden import CASES, Case, web_mercator
from gisbox.runtime.check.stack import one_line

Point = tuple[float, ...]
Adapter = Callable[[str, str, Point], Point]  # (source CRS, target CRS, point) -> point
GOLDEN = CASES[0]  # EPSG:4326 -> EPSG:3857, lon 15 lat 12
INVERSE_TOLERANCE_DEG = 1e-8  # about 1 mm on the ground


def _pyproj(src: str, dst: str, pt: Point) -> Point:
    from pyproj import Transformer

    t = Transformer.from_crs(src, dst, always_xy=True)
    return tuple(t.transform(pt[0], pt[1], pt[2]) if len(pt) == 3 else t.transform(pt[0], pt[1]))


def _rasterio(src: str, dst: str, pt: Point) -> Point:
    from rasterio.warp import transform

    zs = [pt[2]] if len(pt) == 3 else None
    out = transform(src, dst, [pt[0]], [pt[1]], zs=zs)
    return tuple(axis[0] for axis in out)


def _osr_srs(code: str, traditional: bool) -> Any:
    from osgeo import osr

    osr.UseExceptions()
    srs = osr.SpatialReference()
    srs.SetFromUserInput(code)
    if traditional:
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _osr(src: str, dst: str, pt: Point, traditional: bool = True) -> Point:
    from osgeo import osr

    ct = osr.CoordinateTransformation(_osr_srs(src, traditional), _osr_srs(dst, traditional))
    x, y, z = ct.TransformPoint(pt[0], pt[1], pt[2] if len(pt) == 3 else 0.0)
    return (x, y, z) if len(pt) == 3 else (x, y)


def _geopandas(src: str, dst: str, pt: Point) -> Point:
    import geopandas

    if len(pt) == 3:
        raise NotImplementedError  # GeoSeries.to_crs is 2D here
    p = geopandas.GeoSeries.from_xy([pt[0]], [pt[1]], crs=src).to_crs(dst).iloc[0]
    return p.x, p.y


ADAPTERS: dict[str, Adapter] = {
    "pyproj": _pyproj,
    "rasterio": _rasterio,
    "osgeo.gdal": _osr,
    "geopandas": _geopandas,
}


def forward(binding: str, case: Case) -> Point:
    pt = (*case.lonlat, case.height) if len(case.expected) == 3 else case.lonlat
    return ADAPTERS[binding](case.crs, case.target, pt)


def inverse(binding: str, case: Case) -> Point:
    return ADAPTERS[binding](case.target, case.crs, case.expected)


def distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


def _try(binding: str, what: str, fn: Callable[[], Point], findings: Findings) -> Point | None:
    try:
        return fn()
    except NotImplementedError:
        return None
    except Exception as exc:
        findings.error(
            "transform.failed",
            f"{binding}: {what} failed: {one_line(exc)}",
            "check the proj.db this binding uses (see data.* findings)",
        )
        return None


def run_golden(modules: dict[str, Any], findings: Findings) -> dict[str, Any]:
    """Every case forward (tolerance in metres) and back (1e-8 degrees) through each binding."""
    probes: dict[str, Any] = {}
    for binding in ADAPTERS:
        if binding not in modules:
            continue
        for case in CASES:
            what = f"{case.crs}->{case.target}"
            got = _try(binding, what, lambda: forward(binding, case), findings)  # noqa: B023
            if got is not None:
                probes[f"transform.{binding}.{case.id}"] = {
                    "value": list(got),
                    "tolerance": case.tolerance,
                    "unit": "m",
                }
                off = distance(got, case.expected)
                if off > case.tolerance:
                    findings.error(
                        "transform.golden",
                        f"{binding}: {what} of lon {case.lonlat[0]} lat {case.lonlat[1]} is off "
                        f"by {off:.6g} m (tolerance {case.tolerance} m; reference: {case.source})",
                        "compare the PROJ version and proj.db of this binding with the others",
                    )
            back = _try(
                binding,
                f"{case.target}->{case.crs}",
                lambda: inverse(binding, case),  # noqa: B023
                findings,
            )
            if back is not None:
                probes[f"transform.{binding}.{case.id}.inverse"] = {
                    "value": list(back[:2]),
                    "tolerance": INVERSE_TOLERANCE_DEG,
                    "unit": "deg",
                }
                off_deg = distance(back[:2], case.lonlat)
                if off_deg > INVERSE_TOLERANCE_DEG:
                    findings.error(
                        "transform.golden",
                        f"{binding}: {case.target}->{case.crs} of {case.expected} is off by "
                        f"{off_deg:.3g} degrees from lon {case.lonlat[0]} lat {case.lonlat[1]}",
                    )
    return probes


# Authority-order traps: EPSG:4326 is (latitude, longitude); in the south, NZGD2000 is
# (latitude, longitude) and NZTM2000 (northing, easting). (case, does the target's authority
# order put the northing first)
AUTHORITY_CASES = ((GOLDEN, False), (next(c for c in CASES if c.id == "4167-2193"), True))


def _authority(binding: str, case: Case) -> tuple[float, ...]:
    """`case` through `binding` in the authority's axis order (latitude first in)."""
    lat_lon = (case.lonlat[1], case.lonlat[0])
    if binding == "pyproj":
        from pyproj import Transformer

        return tuple(Transformer.from_crs(case.crs, case.target).transform(*lat_lon))
    return _osr(case.crs, case.target, lat_lon, traditional=False)


def run_axis_order(modules: dict[str, Any], findings: Findings) -> dict[str, Any]:
    """Bindings must honour the authority's axis order when not told otherwise: EPSG:4326
    and NZGD2000 in latitude, longitude; NZTM2000 out in northing, easting."""
    probes: dict[str, Any] = {}
    for binding in [b for b in ("pyproj", "osgeo.gdal") if b in modules]:
        for case, north_first in AUTHORITY_CASES:
            key = "authority" if case is GOLDEN else f"authority.{case.id}"
            try:
                got = _authority(binding, case)
            except Exception as exc:
                findings.error(
                    "transform.failed",
                    f"{binding}: authority-order {case.crs}->{case.target} failed: {one_line(exc)}",
                )
                continue
            want = case.expected[::-1] if north_first else case.expected
            probes[f"axis.{binding}.{key}"] = {"value": list(got), "tolerance": 1e-3, "unit": "m"}
            if distance(got, want) > 1e-3:
                # in: (lat, lon) read as (lon, lat), the classic swap; out: easting first
                swapped = (
                    distance(got, case.expected) < 1e-3
                    if north_first
                    else distance(got, web_mercator(case.lonlat[1], case.lonlat[0])) < 1e-3
                )
                findings.error(
                    "transform.axis-order",
                    f"{binding}: {case.crs} given as (latitude, longitude) = "
                    f"({case.lonlat[1]}, {case.lonlat[0]}) did not give {tuple(want)} in "
                    f"{case.target}'s authority order; got {tuple(round(v, 3) for v in got)}"
                    + (" (the axes were swapped)" if swapped else ""),
                    f"{case.crs} is latitude/longitude in the authority's order; use "
                    "always_xy=True or OAMS_TRADITIONAL_GIS_ORDER for longitude/latitude input",
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
