"""Evaluation metrics for spatial predictions (`gisbox eval`).

- pixel IoU per class and its mean, for label rasters on the same grid;
- object precision, recall and F1 for polygons, matched one-to-one by IoU >= a threshold
  (greedy, highest IoU first);
- coordinate drift: ground distance in metres between matched points, geodesic on the
  WGS 84 ellipsoid (pyproj.Geod), with mean, max and percentiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ObjectScores:
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float
    matches: list[tuple[int, int, float]]  # (prediction index, truth index, IoU)


def pixel_iou(
    pred: Any, truth: Any, nodata: int | None = None, valid: Any = None
) -> dict[str, Any]:
    """IoU of every class present in either raster, and their mean, over the pixels that
    are not nodata (and are `valid`, when a mask is given: where the truth was warped)."""
    p, t = np.asarray(pred), np.asarray(truth)
    if p.shape != t.shape:
        raise ValueError(f"the rasters differ in shape: {p.shape} vs {t.shape}")
    mask = np.ones(p.shape, bool) if valid is None else np.asarray(valid, bool)
    valid = mask if nodata is None else mask & (p != nodata) & (t != nodata)
    per_class: dict[int, float] = {}
    for c in sorted(set(np.unique(p[valid]).tolist()) | set(np.unique(t[valid]).tolist())):
        inter = np.sum((p == c) & (t == c) & valid)
        union = np.sum(((p == c) | (t == c)) & valid)
        per_class[int(c)] = float(inter / union) if union else 0.0
    mean = float(np.mean(list(per_class.values()))) if per_class else 0.0
    return {"per_class": per_class, "mean_iou": mean, "pixels": int(valid.sum())}


def object_scores(pred: list[Any], truth: list[Any], iou_threshold: float = 0.5) -> ObjectScores:
    """One-to-one matching of shapely polygons by IoU >= threshold, greedy by IoU."""
    pairs = []
    for i, a in enumerate(pred):
        for j, b in enumerate(truth):
            if a.intersects(b):
                union = a.union(b).area
                iou = a.intersection(b).area / union if union else 0.0
                if iou >= iou_threshold:
                    pairs.append((iou, i, j))
    used_p: set[int] = set()
    used_t: set[int] = set()
    matches = []
    for iou, i, j in sorted(pairs, key=lambda x: (-x[0], x[1], x[2])):
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            matches.append((i, j, iou))
    tp = len(matches)
    fp, fn = len(pred) - tp, len(truth) - tp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ObjectScores(tp, fp, fn, precision, recall, f1, matches)


def to_equal_area(lonlat: list[Any], others: list[Any]) -> tuple[list[Any], list[Any], Any]:
    """Both lists of lon/lat shapely geometries in a Lambert azimuthal equal-area projection
    centred on them (areas, hence IoU, are true there), edges densified to 0.01 degree first
    (GeoJSON edges are straight in lon/lat). Also returns the transformer back to lon/lat."""
    import shapely
    from pyproj import CRS, Transformer

    minx, miny, maxx, maxy = shapely.total_bounds(lonlat + others)
    laea = CRS.from_proj4(
        f"+proj=laea +lat_0={(miny + maxy) / 2} +lon_0={(minx + maxx) / 2} +datum=WGS84"
    )
    fwd = Transformer.from_crs("EPSG:4326", laea, always_xy=True)
    back = Transformer.from_crs(laea, "EPSG:4326", always_xy=True)

    def along(coords: Any) -> Any:
        return np.column_stack(fwd.transform(coords[:, 0], coords[:, 1]))

    def project(geoms: list[Any]) -> list[Any]:
        return [shapely.transform(shapely.segmentize(g, 0.01), along) for g in geoms]

    return project(lonlat), project(others), back


def drift(
    pred_lonlat: list[tuple[float, float]], truth_lonlat: list[tuple[float, float]]
) -> dict[str, float]:
    """Geodesic distances (m) between matched (lon, lat) pairs: mean, max, p50, p90, p95."""
    from pyproj import Geod

    if len(pred_lonlat) != len(truth_lonlat) or not pred_lonlat:
        raise ValueError("drift needs the same, non-zero number of matched points on both sides")
    geod = Geod(ellps="WGS84")
    (plon, plat), (tlon, tlat) = zip(*pred_lonlat, strict=True), zip(*truth_lonlat, strict=True)
    _, _, dist = geod.inv(plon, plat, tlon, tlat)
    d = np.abs(np.asarray(dist, dtype=float))
    return {
        "n": int(d.size),
        "mean_m": float(d.mean()),
        "max_m": float(d.max()),
        "p50_m": float(np.percentile(d, 50)),
        "p90_m": float(np.percentile(d, 90)),
        "p95_m": float(np.percentile(d, 95)),
    }
