"""Coordinate transformation for the API: batches and GeoJSON, vectorised with pyproj.

Axis order: coordinates are always (x, y) = (longitude, latitude) for geographic CRSs,
the traditional GIS order, whatever the CRS's authority says (pyproj's always_xy).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError


class BadRequest(ValueError):
    """A client error with a message for the JSON body."""


def parse_crs(value: str | int | dict[str, Any]) -> CRS:
    """EPSG code ("EPSG:4326" or 4326), WKT, PROJ string or PROJJSON (an object). A code or
    string is parsed once per process (proj.db is not asked again for every request)."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return _parsed(value)
    return _parse(value)


@lru_cache(maxsize=256)
def _parsed(value: str | int) -> CRS:
    return _parse(value)


def _parse(value: str | int | dict[str, Any]) -> CRS:
    try:
        if isinstance(value, dict):
            return CRS.from_json(json.dumps(value))
        return CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError) as exc:
        raise BadRequest(f"unknown CRS {str(value)[:200]!r}: {exc}") from None


@lru_cache(maxsize=256)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(src), CRS.from_wkt(dst), always_xy=True)


# (id(src), id(dst)) -> (src, dst, transformer): the CRS objects parse_crs keeps are met
# again and again; holding them here keeps their ids from being reused
_PAIRS: dict[tuple[int, int], tuple[CRS, CRS, Transformer]] = {}


def transformer(src: CRS, dst: CRS) -> Transformer:
    """The Transformer from src to dst (always_xy), made once per pair of CRSs."""
    kept = _PAIRS.get((id(src), id(dst)))
    if kept is not None and kept[0] is src and kept[1] is dst:
        return kept[2]
    made = _transformer(src.to_wkt(), dst.to_wkt())
    if len(_PAIRS) >= 256:
        _PAIRS.clear()
    _PAIRS[(id(src), id(dst))] = (src, dst, made)
    return made


@lru_cache(maxsize=256)
def crs_name(value: str | int) -> str:
    """How an answer names a CRS given as a code or string (`EPSG:3857`)."""
    return str(_parsed(value).to_string())


def check_range(crs: CRS, xs: Any, ys: Any) -> None:
    """Finite numbers, and longitude/latitude in range for a geographic CRS (vectorised)."""
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise BadRequest("coordinates must be finite numbers")
    if crs.is_geographic:
        bad = (xs < -180) | (xs > 180) | (ys < -90) | (ys > 90)
        if bad.any():
            i = int(np.argmax(bad))
            raise BadRequest(
                f"({xs[i]}, {ys[i]}) is out of range for geographic {crs.to_string()}: "
                "longitude must be in [-180, 180] and latitude in [-90, 90] (x, y order)"
            )


def transform_points(src: CRS, dst: CRS, points: list[list[float]]) -> list[list[float]]:
    """Transform [[x, y(, z)], …] with one vectorised pyproj call."""
    if not points:
        return []
    width = len(points[0])
    if width not in (2, 3) or any(len(p) != width for p in points):
        raise BadRequest("every coordinate must be [x, y] or [x, y, z], all of one kind")
    result: list[list[float]] = transform_array(
        src, dst, np.asarray(points, dtype="float64")
    ).tolist()
    return result


def transform_array(src: CRS, dst: CRS, arr: Any) -> Any:
    """Transform an (n, 2) or (n, 3) float64 array with one vectorised pyproj call."""
    width = arr.shape[1]
    check_range(src, arr[:, 0], arr[:, 1])
    t = transformer(src, dst)
    try:
        if width == 3:
            out = np.column_stack(t.transform(arr[:, 0], arr[:, 1], arr[:, 2], errcheck=True))
        else:
            out = np.column_stack(t.transform(arr[:, 0], arr[:, 1], errcheck=True))
    except ProjError as exc:
        raise BadRequest(f"transformation failed: {exc}") from None
    if not np.isfinite(out).all():
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
