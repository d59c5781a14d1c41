"""`gisbox eval PRED TRUTH`: read predictions and truth from files, pick the metrics.

GeoTIFFs (same grid) -> pixel IoU. GeoJSON polygons -> object precision/recall/F1
(IoU matching) and the drift of matched centroids. GeoJSON points -> drift, matched by
the `id` property when both sides have one, else by order. GeoJSON is longitude/latitude
(RFC 7946); polygons are projected to a Lambert azimuthal equal-area projection centred on
them, so IoU compares true areas at any latitude.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gisbox.runtime.errors import UsageError
from gisbox.runtime.workloads.metrics import drift, object_scores, pixel_iou, to_equal_area

RASTER = (".tif", ".tiff")


def _features(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(
            f"{path}: not readable GeoJSON ({exc})", hint="give a GeoJSON FeatureCollection"
        ) from None
    if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise UsageError(
            f"{path}: not a GeoJSON FeatureCollection",
            hint='wrap the features in {"type": "FeatureCollection", "features": [...]}',
        )
    if not data["features"]:
        raise UsageError(f"{path}: the layer is empty", hint="give a layer with features")
    return list(data["features"])


def _raster(path: Path) -> tuple[Any, Any, Any, Any]:
    import rasterio

    try:
        with rasterio.open(path) as src:
            return src.read(1), src.transform, src.crs, src.nodata
    except rasterio.errors.RasterioIOError as exc:
        raise UsageError(
            f"{path}: not a readable raster ({exc})", hint="give a GeoTIFF (.tif)"
        ) from None


def evaluate(pred: Path, truth: Path, iou_threshold: float = 0.5) -> dict[str, Any]:
    for p in (pred, truth):
        if not p.is_file():
            raise UsageError(f"{p}: no such file", hint="check the path")
    if pred.suffix.lower() in RASTER and truth.suffix.lower() in RASTER:
        a, ta, ca, nodata = _raster(pred)
        b, tb, cb, _ = _raster(truth)
        if a.shape != b.shape or ta != tb or ca != cb:
            raise UsageError(
                f"{pred} and {truth} are on different grids (shape, transform or CRS)",
                hint="resample one onto the other's grid first (gdalwarp -tr/-te)",
            )
        return {"kind": "raster", **pixel_iou(a, b, nodata=nodata)}
    if pred.suffix.lower() in RASTER or truth.suffix.lower() in RASTER:
        raise UsageError(
            f"{pred} and {truth}: one is a raster, the other not",
            hint="compare a raster with a raster, or GeoJSON with GeoJSON",
        )
    from shapely.geometry import shape

    pf, tf = _features(pred), _features(truth)
    pg, tg = [shape(f["geometry"]) for f in pf], [shape(f["geometry"]) for f in tf]
    kinds = {g.geom_type for g in pg + tg}
    if kinds <= {"Point"}:
        ids_p = [f.get("properties", {}).get("id") for f in pf]
        ids_t = [f.get("properties", {}).get("id") for f in tf]
        if None not in ids_p and None not in ids_t:
            where = {i: g for i, g in zip(ids_t, tg, strict=True)}
            pairs = [(g, where[i]) for i, g in zip(ids_p, pg, strict=True) if i in where]
        else:
            if len(pg) != len(tg):
                raise UsageError(
                    "points without `id` properties are matched by order: "
                    f"{len(pg)} predicted vs {len(tg)} true",
                    hint='give every point an "id" property on both sides',
                )
            pairs = list(zip(pg, tg, strict=True))
        return {
            "kind": "points",
            "drift": drift([(a.x, a.y) for a, _ in pairs], [(b.x, b.y) for _, b in pairs]),
        }
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise UsageError(
            f"cannot evaluate geometry types {sorted(kinds)}",
            hint="give points on both sides, or polygons on both sides",
        )
    pa, ta, back = to_equal_area(pg, tg)
    scores = object_scores(pa, ta, iou_threshold)
    out: dict[str, Any] = {
        "kind": "polygons",
        "iou_threshold": iou_threshold,
        "true_positives": scores.true_positives,
        "false_positives": scores.false_positives,
        "false_negatives": scores.false_negatives,
        "precision": scores.precision,
        "recall": scores.recall,
        "f1": scores.f1,
    }
    if scores.matches:  # centroids of the true shapes (equal-area), back in lon/lat
        c = [
            (back.transform(*pa[i].centroid.coords[0]), back.transform(*ta[j].centroid.coords[0]))
            for i, j, _ in scores.matches
        ]
        out["centroid_drift"] = drift([a for a, _ in c], [b for _, b in c])
    return out
