"""A fixed set of GEOS operations with exactly known results."""

from __future__ import annotations

import math
from typing import Any

from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.stack import blame, one_line

TOL = 1e-9


def _expect(name: str, got: float, want: float, findings: Findings, tol: float = TOL) -> None:
    if abs(got - want) > tol:
        findings.error(
            "geometry.result",
            f"shapely/GEOS: {name} gave {got!r}, expected {want!r}",
            "compare the GEOS version with the other environments (gisbox diff)",
        )


def run_geometry(modules: dict[str, Any], findings: Findings) -> dict[str, Any]:
    """The GEOS operations through shapely, then geopandas' spatial join: each block in its
    own try, and a failure is blamed on the library it came from (a CRS that PROJ cannot
    build is PROJ's failure, not GEOS's), so one failing block never drops the others."""
    if "shapely" not in modules:
        return {}
    probes: dict[str, Any] = {}
    blocks = [("shapely", _shapely)] + (
        [("geopandas sjoin", _sjoin)] if "geopandas" in modules else []
    )
    for what, block in blocks:
        try:
            probes.update(block(findings))
        except Exception as exc:
            findings.error(
                "geometry.failed",
                f"{what} failed in {blame(exc)}: {one_line(exc)}",
                "see the data.* and import.* findings of that library",
            )
    return probes


def _shapely(findings: Findings) -> dict[str, Any]:
    import shapely
    from shapely.geometry import LineString, Point, Polygon, box

    n = 64  # quad_segs=16 -> a regular 64-gon inscribed in the unit circle
    buffered = Point(0, 0).buffer(1.0, quad_segs=16)
    a, b = box(0, 0, 2, 2), box(1, 1, 3, 3)
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    valid = shapely.make_valid(bowtie)
    inter = shapely.normalize(a.intersection(b))
    results = {
        "buffer.area": (buffered.area, n / 2 * math.sin(2 * math.pi / n)),
        "union.area": (a.union(b).area, 7.0),
        "intersection.area": (inter.area, 1.0),
        "make_valid.area": (valid.area, 0.5),
        "line.length": (LineString([(0, 0), (3, 4)]).length, 5.0),
    }
    probes: dict[str, Any] = {}
    for name, (got, want) in results.items():
        _expect(name, got, want, findings)
        probes[f"geometry.{name}"] = {"value": [got], "tolerance": TOL, "unit": "1"}
    probes["geometry.intersection.wkt"] = shapely.to_wkt(inter, rounding_precision=9)
    probes["geometry.make_valid.type"] = valid.geom_type
    if valid.geom_type != "MultiPolygon":
        findings.error("geometry.result", f"make_valid(bowtie) gave {valid.geom_type}")
    return probes


def _sjoin(findings: Findings) -> dict[str, Any]:
    """geopandas' spatial join in a projected CRS (PROJ builds the CRS, GEOS the join)."""
    import geopandas
    from shapely.geometry import Point, box

    pts = geopandas.GeoDataFrame(
        geometry=[Point(i + 0.5, j + 0.5) for i in range(10) for j in range(10)], crs=3857
    )
    quads = geopandas.GeoDataFrame(
        {"q": [0, 1, 2, 3]},
        geometry=[box(0, 0, 5, 5), box(5, 0, 10, 5), box(0, 5, 5, 10), box(5, 5, 10, 10)],
        crs=3857,
    )
    counts = geopandas.sjoin(pts, quads, predicate="within").groupby("q").size()
    got = [int(counts.get(q, 0)) for q in range(4)]
    if got != [25, 25, 25, 25]:
        findings.error("geometry.result", f"geopandas sjoin counted {got}, expected 25 each")
    return {"geometry.sjoin.counts": got}
