"""Model inference over rasters: tiles with overlap, georeferenced, stitched, returned as a
GeoTIFF or as vectorised GeoJSON polygons in the request's CRS.

A model is a callable `model(array, transform, crs) -> array` taking (bands, height, width)
and returning (height, width); it is named `module:callable` (GISBOX_MODEL) or by an
entry point in the `gisbox.models` group.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

import numpy as np
import rasterio
from rasterio.features import geometry_mask, shapes
from rasterio.io import MemoryFile
from rasterio.warp import transform_geom
from rasterio.windows import Window, from_bounds

from gisbox.runtime.service.raster import _open, _positions
from gisbox.runtime.service.transform import BadRequest, parse_crs

Model = Callable[[Any, Any, str], Any]
NODATA = 255


class ModelError(RuntimeError):
    """The model itself failed (a 5xx: the request was fine)."""


@lru_cache(maxsize=8)
def load_model(name: str) -> Model:
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
        except (ImportError, AttributeError) as exc:
            raise ModelError(f"cannot load the model {name!r}: {exc}") from None
    found = [ep for ep in entry_points(group="gisbox.models") if ep.name == name]
    if not found:
        raise ModelError(f"no model {name!r}: use module:callable or a gisbox.models entry point")
    return found[0].load()  # type: ignore[no-any-return]


def _window(
    src: Any,
    window: dict[str, int] | None,
    geometry: dict[str, Any] | None,
    geom_crs: Any,
    max_pixels: int,
) -> tuple[Window, dict[str, Any] | None]:
    full = Window(0, 0, src.width, src.height)
    geom = None
    if geometry is not None:
        geom = transform_geom(parse_crs(geom_crs).to_wkt(), src.crs, geometry)
        xy = np.asarray(_positions(geom), dtype=float)
        if xy.size == 0:
            raise BadRequest("the geometry has no coordinates")
        win = from_bounds(*xy.min(0), *xy.max(0), transform=src.transform)
        win = win.round_offsets(op="floor").round_lengths(op="ceil")
    elif window is not None:
        win = Window(
            window.get("col_off", 0),
            window.get("row_off", 0),
            window.get("width", src.width),
            window.get("height", src.height),
        )
    else:
        win = full
    try:
        win = win.intersection(full)
    except rasterio.errors.WindowError:
        raise BadRequest("the requested area does not overlap the raster") from None
    if win.width * win.height > max_pixels:
        raise BadRequest(f"{int(win.width * win.height)} pixels requested; at most {max_pixels}")
    return win, geom


def run(
    location: str,
    model: Model,
    *,
    window: dict[str, int] | None = None,
    geometry: dict[str, Any] | None = None,
    geom_crs: Any = "EPSG:4326",
    tile: int = 256,
    overlap: int = 16,
    max_pixels: int = 50_000_000,
) -> tuple[Any, Any, Any]:
    """(prediction, its transform, its CRS) over the window or the geometry's bounds."""
    if not (16 <= tile <= 4096 and 0 <= overlap < tile // 2):
        raise BadRequest("tile_size must be in [16, 4096] and overlap below tile_size / 2")
    with _open(location) as src:
        win, geom = _window(src, window, geometry, geom_crs, max_pixels)
        h, w = int(win.height), int(win.width)
        out = np.full((h, w), NODATA, dtype="uint8")
        for r in range(0, h, tile):
            for c in range(0, w, tile):
                r0, c0 = max(r - overlap, 0), max(c - overlap, 0)
                r1, c1 = min(r + tile + overlap, h), min(c + tile + overlap, w)
                padded = Window(win.col_off + c0, win.row_off + r0, c1 - c0, r1 - r0)
                array = src.read(window=padded)
                try:
                    pred = np.asarray(
                        model(array, src.window_transform(padded), src.crs.to_string())
                    )
                except Exception as exc:
                    raise ModelError(f"the model failed: {type(exc).__name__}: {exc}") from None
                if pred.shape != array.shape[1:]:
                    raise ModelError(
                        f"the model returned shape {pred.shape} for a tile of {array.shape[1:]}"
                    )
                core = pred[r - r0 : r - r0 + min(tile, h - r), c - c0 : c - c0 + min(tile, w - c)]
                out[r : r + core.shape[0], c : c + core.shape[1]] = core
        win_transform = src.window_transform(win)
        if geom is not None:
            outside = geometry_mask([geom], out_shape=out.shape, transform=win_transform)
            out[outside] = NODATA
        return out, win_transform, src.crs


def to_geotiff(out: Any, transform: Any, crs: Any) -> bytes:
    profile = {
        "driver": "GTiff",
        "width": out.shape[1],
        "height": out.shape[0],
        "count": 1,
        "dtype": "uint8",
        "crs": crs,
        "transform": transform,
        "nodata": NODATA,
        "compress": "deflate",
    }
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(out, 1)
        return bytes(mem.read())


def to_geojson(out: Any, transform: Any, crs: Any, target_crs: Any) -> dict[str, Any]:
    dst = parse_crs(target_crs).to_wkt()
    features = [
        {
            "type": "Feature",
            "properties": {"class": int(value)},
            "geometry": transform_geom(crs, dst, geometry),
        }
        for geometry, value in shapes(out, mask=out != NODATA, transform=transform)
    ]
    return {"type": "FeatureCollection", "features": features}
