"""`gisbox eval PRED TRUTH`: predictions against truth, in any CRS and vector format.

Rasters -> pixel IoU on the prediction's grid (truth in another CRS or grid is warped onto
it, nearest neighbour: classes are never blended). Vector layers in any format pyogrio
reads (GeoJSON with or without a legacy `crs` member, GeoPackage, Shapefile, FlatGeobuf)
or GeoParquet -> both reprojected to longitude/latitude on WGS 84, then: polygons ->
object precision/recall/F1 by IoU, computed in an equal-area projection centred on them,
and the drift of matched centroids; points -> drift, matched by `id` when both sides have
one, else by order. Drift is geodesic, in metres on the WGS 84 ellipsoid. A layer or raster
without a CRS is refused: guessing one is how silent offsets happen.

In images (`gisbox eval`, the analysis profile) and on hosts (`pip install
'gisbox[workloads]'`); standard library and the stack only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gisbox.runtime.where import fix, image_packages
from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.inputs import ensure_crs, missing, read_layer

RASTER = (".tif", ".tiff")
NEEDS = {"raster": ("numpy", "rasterio"), "vector": ("numpy", "shapely", "pyproj", "geopandas")}
LONLAT = "EPSG:4326"


def _require(kind: str) -> None:
    absent = missing(*NEEDS[kind])
    if absent:
        raise WorkloadInputError(
            f"gisbox eval of {kind} files needs {', '.join(absent)}, not installed here",
            fix(host="pip install 'gisbox[workloads]'", image=image_packages(*absent)),
        )


def _raster(path: Path) -> tuple[Any, Any, Any, Any]:
    import rasterio

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise WorkloadInputError(
                    f"{path}: the raster has no CRS",
                    "set one (gdal_edit.py -a_srs EPSG:XXXX FILE) naming the CRS it is in",
                )
            return src.read(1), src.transform, src.crs, src.nodata
    except rasterio.errors.RasterioIOError as exc:
        raise WorkloadInputError(
            f"{path}: not a readable raster ({exc})", "give a GeoTIFF (.tif)"
        ) from None


def evaluate_rasters(pred: Path, truth: Path) -> dict[str, Any]:
    """Pixel IoU on the prediction's grid; truth on another grid is warped onto it."""
    import numpy as np
    from rasterio.warp import Resampling, reproject

    from gisbox.runtime.workloads.metrics import pixel_iou

    a, ta, ca, nodata = _raster(pred)
    b, tb, cb, truth_nodata = _raster(truth)
    warped = a.shape != b.shape or ta != tb or ca != cb
    covered = None
    if warped:  # truth onto the prediction's grid; `covered`: where it has truth
        onto = np.zeros(a.shape, dtype=b.dtype)
        covered = np.zeros(a.shape, dtype="uint8")
        common = {"dst_transform": ta, "dst_crs": ca, "resampling": Resampling.nearest}
        reproject(b, onto, src_transform=tb, src_crs=cb, src_nodata=truth_nodata, **common)
        inside = np.ones(b.shape, dtype="uint8") if truth_nodata is None else b != truth_nodata
        reproject(inside.astype("uint8"), covered, src_transform=tb, src_crs=cb, **common)
        b = onto
        if not covered.any():
            raise WorkloadInputError(
                f"{pred} and {truth} do not overlap", "give truth for the predicted area"
            )
    out = {"kind": "raster", **pixel_iou(a, b, nodata=nodata, valid=covered)}
    out["crs"] = {"pred": ca.to_string(), "truth": cb.to_string()}
    out["truth_warped_to_pred_grid"] = warped
    return out


def _lonlat(path: Path) -> tuple[list[Any], list[Any], str]:
    """A layer's geometries and `id` values, in lon/lat on WGS 84; its CRS as read."""
    gdf = ensure_crs(read_layer(path), path, projected=False)
    crs = gdf.crs.to_string()
    ids = list(gdf["id"]) if "id" in gdf.columns else [None] * len(gdf)
    return list(gdf.to_crs(LONLAT).geometry), ids, crs


def _points(pred: Path, pg: list[Any], ids_p: list[Any], tg: list[Any], ids_t: list[Any]) -> Any:
    from gisbox.runtime.workloads.metrics import drift

    if None not in ids_p and None not in ids_t:
        where = dict(zip(ids_t, tg, strict=True))
        pairs = [(g, where[i]) for i, g in zip(ids_p, pg, strict=True) if i in where]
        if not pairs:
            raise WorkloadInputError(
                f"{pred}: no `id` of the prediction is in the truth", "match the ids"
            )
    else:
        if len(pg) != len(tg):
            raise WorkloadInputError(
                "points without `id` properties are matched by order: "
                f"{len(pg)} predicted vs {len(tg)} true",
                'give every point an "id" property on both sides',
            )
        pairs = list(zip(pg, tg, strict=True))
    return {
        "kind": "points",
        "drift": drift([(a.x, a.y) for a, _ in pairs], [(b.x, b.y) for _, b in pairs]),
    }


def evaluate_vectors(pred: Path, truth: Path, iou_threshold: float) -> dict[str, Any]:
    from gisbox.runtime.workloads.metrics import drift, object_scores, to_equal_area

    (pg, ids_p, crs_p), (tg, ids_t, crs_t) = _lonlat(pred), _lonlat(truth)
    kinds = {g.geom_type for g in pg + tg}
    crs = {"crs": {"pred": crs_p, "truth": crs_t}}
    if kinds <= {"Point"}:
        return {**_points(pred, pg, ids_p, tg, ids_t), **crs}
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise WorkloadInputError(
            f"cannot evaluate geometry types {sorted(kinds)}",
            "give points on both sides, or polygons on both sides",
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
        **crs,
    }
    if scores.matches:  # centroids of the shapes (equal-area), back in lon/lat
        c = [
            (back.transform(*pa[i].centroid.coords[0]), back.transform(*ta[j].centroid.coords[0]))
            for i, j, _ in scores.matches
        ]
        out["centroid_drift"] = drift([a for a, _ in c], [b for _, b in c])
    return out


def evaluate(pred: Path, truth: Path, iou_threshold: float = 0.5) -> dict[str, Any]:
    for p in (pred, truth):
        if not p.is_file():
            raise WorkloadInputError(f"{p}: no such file", "check the path")
    rasters = [p.suffix.lower() in RASTER for p in (pred, truth)]
    if all(rasters):
        _require("raster")
        return evaluate_rasters(pred, truth)
    if any(rasters):
        raise WorkloadInputError(
            f"{pred} and {truth}: one is a raster, the other not",
            "compare a raster with a raster, or a vector layer with a vector layer",
        )
    _require("vector")
    return evaluate_vectors(pred, truth, iou_threshold)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gisbox eval",
        description="Compare predictions with truth: pixel IoU, object F1, coordinate drift.",
    )
    p.add_argument("pred", type=Path, help="predictions: a GeoTIFF or a vector layer")
    p.add_argument("truth", type=Path, help="truth: the same kind, in any CRS")
    p.add_argument(
        "--iou", dest="iou_threshold", type=float, default=0.5,
        help="IoU needed to match a predicted polygon to a true one (default 0.5)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    return p


def _print(result: dict[str, Any]) -> None:
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k}: {v:.6g}" if isinstance(v, float) else f"  {k}: {v}")
        else:
            print(f"{key}: {value:.6g}" if isinstance(value, float) else f"{key}: {value}")


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return int(exc.code or 0)
    if not 0 <= args.iou_threshold <= 1:
        print("error: --iou must be between 0 and 1", file=sys.stderr)
        return 2
    try:
        result = evaluate(args.pred, args.truth, args.iou_threshold)
    except WorkloadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        _print(result)
    return 0
