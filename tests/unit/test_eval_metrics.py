"""`gisbox eval`: metrics against hand-computed cases, and the CLI's errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import box

from gisbox.cli import cli
from gisbox.runtime.workloads.metrics import drift, object_scores, pixel_iou


def test_pixel_iou_by_hand() -> None:
    # class 0: 1 shared of 2 -> 0.5; class 1: 2 shared of 3 -> 2/3
    result = pixel_iou(np.array([[0, 0], [1, 1]]), np.array([[0, 1], [1, 1]]))
    assert result["per_class"] == pytest.approx({0: 0.5, 1: 2 / 3})
    assert result["mean_iou"] == pytest.approx((0.5 + 2 / 3) / 2)


def test_pixel_iou_ignores_nodata() -> None:
    result = pixel_iou(np.array([[1, 9]]), np.array([[1, 0]]), nodata=9)
    assert result == {"per_class": {1: 1.0}, "mean_iou": 1.0, "pixels": 1}


def test_object_scores_by_hand() -> None:
    truth = [box(0, 0, 2, 2), box(10, 10, 12, 12)]
    pred = [box(0, 0, 2, 1), box(20, 20, 21, 21)]  # IoU 0.5 with the first truth; one miss
    s = object_scores(pred, truth, iou_threshold=0.5)
    assert (s.true_positives, s.false_positives, s.false_negatives) == (1, 1, 1)
    assert (s.precision, s.recall, s.f1) == (0.5, 0.5, 0.5)
    assert object_scores(pred, truth, iou_threshold=0.51).true_positives == 0


def test_one_prediction_matches_one_truth_only() -> None:
    truth = [box(0, 0, 2, 2)]
    pred = [box(0, 0, 2, 2), box(0, 0, 2, 1.9)]
    s = object_scores(pred, truth)
    assert (s.true_positives, s.false_positives) == (1, 1) and s.matches[0][:2] == (0, 0)


def test_drift_geodesic_by_hand() -> None:
    # one degree of latitude at the equator and one of longitude on WGS 84
    d = drift([(0.0, 0.0), (0.0, 0.0)], [(0.0, 1.0), (1.0, 0.0)])
    assert d["max_m"] == pytest.approx(111319.4908, abs=1e-3)
    assert d["mean_m"] == pytest.approx((110574.3886 + 111319.4908) / 2, abs=1e-3)


def write_geojson(
    path: Path, geometries: list[dict[str, Any]], ids: list[Any] | None = None
) -> str:
    feats = [
        {"type": "Feature", "geometry": g, "properties": {} if ids is None else {"id": ids[i]}}
        for i, g in enumerate(geometries)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return str(path)


def write_raster(path: Path, data: Any, x0: float = 500000) -> str:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype="uint8",
        crs="EPSG:32633",
        transform=from_origin(x0, 4000000, 1, 1),
    ) as dst:
        dst.write(data.astype("uint8"), 1)
    return str(path)


def test_cli_rasters_points_and_errors(tmp_path: Path) -> None:
    a = write_raster(tmp_path / "a.tif", np.array([[0, 0], [1, 1]]))
    b = write_raster(tmp_path / "b.tif", np.array([[0, 1], [1, 1]]))
    res = CliRunner().invoke(cli, ["eval", "--json", a, b])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["mean_iou"] == pytest.approx((0.5 + 2 / 3) / 2)

    # truth on another grid (one pixel east): warped onto the prediction's, compared where
    # it has truth (the prediction's east column: [0, 1] against the truth's [0, 1])
    shifted = write_raster(tmp_path / "c.tif", np.array([[0, 1], [1, 1]]), x0=500001)
    res = CliRunner().invoke(cli, ["eval", "--json", a, shifted])
    out = json.loads(res.output)
    assert out["truth_warped_to_pred_grid"] and out["pixels"] == 2 and out["mean_iou"] == 1.0

    p = write_geojson(
        tmp_path / "p.geojson",
        [{"type": "Point", "coordinates": [0, 1]}, {"type": "Point", "coordinates": [1, 0]}],
        ids=["b", "a"],
    )
    t = write_geojson(
        tmp_path / "t.geojson",
        [{"type": "Point", "coordinates": [1, 0]}, {"type": "Point", "coordinates": [0, 0]}],
        ids=["a", "b"],
    )
    res = CliRunner().invoke(cli, ["eval", "--json", p, t])
    d = json.loads(res.output)["drift"]
    assert d["n"] == 2 and d["max_m"] == pytest.approx(110574.3886, abs=1e-3)

    empty = tmp_path / "e.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    res = CliRunner().invoke(cli, ["eval", p, str(empty)])
    assert res.exit_code == 2 and "empty" in res.output
    res = CliRunner().invoke(cli, ["eval", a, p])
    assert res.exit_code == 2


def test_cli_polygons(tmp_path: Path) -> None:
    sq = {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]]}
    p = write_geojson(tmp_path / "p.geojson", [sq])
    t = write_geojson(tmp_path / "t.geojson", [sq])
    out = json.loads(CliRunner().invoke(cli, ["eval", "--json", p, t]).output)
    assert out["f1"] == 1.0 and out["centroid_drift"]["max_m"] == 0.0


def test_polygon_iou_uses_true_areas_at_high_latitude(tmp_path: Path) -> None:
    """Truth: lon 0..1, lat 60..70. Prediction: its northern half in degrees, lat 65..70.
    In lon/lat the IoU would be 5/10 = 0.5; on the globe a band between two latitudes has
    area proportional to sin(north) - sin(south), so the IoU is
    (sin 70 - sin 65) / (sin 70 - sin 60) = 0.4531 (sphere; the ellipsoid differs by < 0.3 %).
    """
    import math

    def band(south: float, north: float) -> dict[str, Any]:
        ring = [[0, south], [1, south], [1, north], [0, north], [0, south]]
        return {"type": "Polygon", "coordinates": [ring]}

    pred = write_geojson(tmp_path / "p.geojson", [band(65, 70)])
    truth = write_geojson(tmp_path / "t.geojson", [band(60, 70)])
    s = math.sin
    expected = (s(math.radians(70)) - s(math.radians(65))) / (
        s(math.radians(70)) - s(math.radians(60))
    )
    res = CliRunner().invoke(cli, ["eval", "--json", "--iou", "0.45", pred, truth])
    out = json.loads(res.output)
    assert out["true_positives"] == 1
    res = CliRunner().invoke(cli, ["eval", "--json", "--iou", "0.5", pred, truth])
    assert json.loads(res.output)["true_positives"] == 0  # lon/lat IoU would say 0.5: a match
    from shapely.geometry import shape

    from gisbox.runtime.workloads.metrics import to_equal_area

    [p], [t], _ = to_equal_area([shape(band(65, 70))], [shape(band(60, 70))])
    assert p.area / t.area == pytest.approx(expected, rel=3e-3)
