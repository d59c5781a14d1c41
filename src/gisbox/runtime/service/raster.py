"""Raster queries for the API: values at points and statistics inside polygons.

Only rasters under the configured data directories (GISBOX_DATA_DIRS) or URL prefixes
(GISBOX_ALLOWED_URL_PREFIXES) can be read: paths are resolved with symlinks followed and
must stay inside a data directory; GDAL's /vsi… paths and other URLs are refused.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import RasterioIOError
from rasterio.features import geometry_mask
from rasterio.warp import transform, transform_geom
from rasterio.windows import from_bounds

from gisbox.runtime.service.transform import BadRequest, parse_crs


class Forbidden(PermissionError):
    """The raster lies outside what the service may read."""


def resolve_raster(name: str, data_dirs: tuple[str, ...], url_prefixes: tuple[str, ...]) -> str:
    """A readable raster location, or Forbidden."""
    if any(name.startswith(p) for p in url_prefixes):
        return name
    if "://" in name or name.startswith("/vsi") or "\0" in name:
        raise Forbidden(f"{name!r} is not under an allowed URL prefix")
    for root in data_dirs:
        real_root = os.path.realpath(root)
        candidate = os.path.realpath(name if os.path.isabs(name) else os.path.join(root, name))
        if os.path.commonpath([real_root, candidate]) == real_root:
            if not os.path.isfile(candidate):
                continue
            return candidate
    raise Forbidden(f"{name!r} is not a raster inside the data directories")


def _open(location: str) -> Any:
    try:
        return rasterio.open(location)
    except RasterioIOError as exc:
        raise BadRequest(f"cannot read the raster: {exc}") from None


def sample(location: str, points: list[list[float]], crs: Any) -> dict[str, Any]:
    """Values of every band at each point (null where outside the raster or nodata)."""
    with _open(location) as src:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        src_crs = parse_crs(crs)
        if src.crs is None:
            raise BadRequest("the raster has no CRS")
        tx, ty = transform(src_crs.to_wkt(), src.crs, xs, ys)
        values: list[list[float | None]] = []
        nodata = src.nodata
        for x, y, raw in zip(
            tx, ty, src.sample(list(zip(tx, ty, strict=True)), masked=True), strict=True
        ):
            row, col = src.index(x, y)
            inside = 0 <= row < src.height and 0 <= col < src.width
            values.append(
                [
                    None
                    if (
                        not inside
                        or np.ma.is_masked(v)
                        or (nodata is not None and v == nodata)
                        or not math.isfinite(float(v))
                    )
                    else float(v)
                    for v in raw
                ]
            )
        return {"values": values, "bands": src.count, "raster_crs": src.crs.to_string()}


STATS = ("count", "min", "max", "mean", "sum")


def zonal_stats(
    location: str, features: list[dict[str, Any]], crs: Any, max_pixels: int
) -> list[dict[str, Any]]:
    """Statistics of band 1 inside each feature's geometry (pixel centres inside)."""
    out = []
    with _open(location) as src:
        geom_crs = parse_crs(crs).to_wkt()
        for feature in features:
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            if not isinstance(geometry, dict):
                raise BadRequest("every feature needs a GeoJSON geometry")
            try:
                geom = transform_geom(geom_crs, src.crs, geometry)
            except Exception as exc:  # rasterio raises several types for bad geometries
                raise BadRequest(f"bad geometry: {exc}") from None
            coords = np.asarray(_positions(geom), dtype=float)
            if coords.size == 0:
                raise BadRequest("a geometry has no coordinates")
            window = from_bounds(*coords.min(0), *coords.max(0), transform=src.transform)
            window = (
                window.round_offsets()
                .round_lengths()
                .intersection(rasterio.windows.Window(0, 0, src.width, src.height))
                if _overlaps(window, src)
                else None
            )
            if window is None or window.width * window.height == 0:
                out.append(dict.fromkeys(STATS) | {"count": 0})
                continue
            if window.width * window.height > max_pixels:
                raise BadRequest(
                    f"a geometry covers {int(window.width * window.height)} pixels; "
                    f"at most {max_pixels} (GISBOX_MAX_PIXELS)"
                )
            data = src.read(1, window=window, masked=True)
            outside = geometry_mask(
                [geom], out_shape=data.shape, transform=src.window_transform(window)
            )
            values = np.ma.array(data, mask=np.ma.getmaskarray(data) | outside).compressed()
            values = values[np.isfinite(values)] if values.dtype.kind == "f" else values
            if values.size == 0:
                out.append(dict.fromkeys(STATS) | {"count": 0})
                continue
            out.append(
                {
                    "count": int(values.size),
                    "min": float(values.min()),
                    "max": float(values.max()),
                    "mean": float(values.mean()),
                    "sum": float(values.sum()),
                }
            )
    return out


def _overlaps(window: Any, src: Any) -> bool:
    return bool(
        window.col_off < src.width
        and window.row_off < src.height
        and window.col_off + window.width > 0
        and window.row_off + window.height > 0
    )


def _positions(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    """Every (x, y) of a GeoJSON geometry (z dropped)."""
    if geometry.get("type") == "GeometryCollection":
        return [p for g in geometry.get("geometries", []) for p in _positions(g)]

    def walk(c: Any) -> list[tuple[float, float]]:
        if isinstance(c, list | tuple) and c and isinstance(c[0], int | float):
            return [(float(c[0]), float(c[1]))]
        return [p for x in c for p in walk(x)] if isinstance(c, list | tuple) else []

    return walk(geometry.get("coordinates", []))
