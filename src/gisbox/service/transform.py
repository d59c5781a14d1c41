"""Coordinate transformation for the API: batches and GeoJSON, vectorised with pyproj.

Axis order: coordinates are always (x, y) = (longitude, latitude) for geographic CRSs,
the traditional GIS order, whatever the CRS's authority says (pyproj's always_xy).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError


class BadRequest(ValueError):
    """A client error with a message for the JSON body."""


def parse_crs(value: str | int | dict[str, Any]) -> CRS:
    """EPSG code ("EPSG:4326" or 4326), WKT, PROJ string or PROJJSON (an object)."""
    try:
        if isinstance(value, dict):
            return CRS.from_json(json.dumps(value))
        return CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError) as exc:
        raise BadRequest(f"unknown CRS {str(value)[:200]!r}: {exc}") from None


@lru_cache(maxsize=256)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(src), CRS.from_wkt(dst), always_xy=True)


def transformer(src: CRS, dst: CRS) -> Transformer:
    return _transformer(src.to_wkt(), dst.to_wkt())


def check_range(crs: CRS, xs: list[float], ys: list[float]) -> None:
    for x, y in zip(xs, ys, strict=True):
        if not (math.isfinite(x) and math.isfinite(y)):
            raise BadRequest("coordinates must be finite numbers")
    if crs.is_geographic:
        for x, y in zip(xs, ys, strict=True):
            if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
                raise BadRequest(
                    f"({x}, {y}) is out of range for geographic {crs.to_string()}: "
                    "longitude must be in [-180, 180] and latitude in [-90, 90] (x, y order)"
                )


def transform_points(src: CRS, dst: CRS, points: list[list[float]]) -> list[list[float]]:
    if any(len(p) not in (2, 3) for p in points):
        raise BadRequest("every coordinate must be [x, y] or [x, y, z]")
    xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    check_range(src, xs, ys)
    t = transformer(src, dst)
    has_z = all(len(p) == 3 for p in points)
    try:
        if has_z:
            ox, oy, oz = t.transform(xs, ys, [float(p[2]) for p in points], errcheck=True)
            out = [[a, b, c] for a, b, c in zip(ox, oy, oz, strict=True)]
        else:
            ox, oy = t.transform(xs, ys, errcheck=True)
            out = [[a, b] for a, b in zip(ox, oy, strict=True)]
    except ProjError as exc:
        raise BadRequest(f"transformation failed: {exc}") from None
    if any(not math.isfinite(v) for p in out for v in p):
        raise BadRequest("some coordinates lie outside the area where the transformation works")
    return out


def _map_coords(geometry: dict[str, Any], fn: Any) -> dict[str, Any]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "GeometryCollection":
        return {**geometry, "geometries": [_map_coords(g, fn) for g in geometry["geometries"]]}
    depth = {
        "Point": 0,
        "MultiPoint": 1,
        "LineString": 1,
        "MultiLineString": 2,
        "Polygon": 2,
        "MultiPolygon": 3,
    }.get(str(kind))
    if depth is None or coords is None:
        raise BadRequest(f"unsupported or malformed GeoJSON geometry type {kind!r}")

    def walk(c: Any, d: int) -> Any:
        if d == 0:
            return fn([c])[0]
        if not isinstance(c, list):
            raise BadRequest("malformed GeoJSON coordinates")
        return [walk(x, d - 1) for x in c]

    return {**geometry, "coordinates": walk(coords, depth)}


def transform_geojson(src: CRS, dst: CRS, collection: dict[str, Any]) -> dict[str, Any]:
    if collection.get("type") != "FeatureCollection" or not isinstance(
        collection.get("features"), list
    ):
        raise BadRequest("geojson must be a FeatureCollection with a features list")

    def fn(points: list[list[float]]) -> list[list[float]]:
        return transform_points(src, dst, points)

    features = []
    for feature in collection["features"]:
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise BadRequest("every item of features must be a GeoJSON Feature")
        geometry = feature.get("geometry")
        features.append({**feature, "geometry": _map_coords(geometry, fn) if geometry else None})
    return {**collection, "features": features}
