"""`gisbox eval` in any CRS and any format: the same places give the same metrics whatever
the file says they are in; a layer without a CRS is refused, never guessed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from rasterio.warp import Resampling, calculate_default_transform, reproject
from shapely.geometry import Point, box

from gisbox.cli import cli
from gisbox.runtime.workloads import evaluate as evaluate_module

# three wells near Paris (lon/lat), and the same in UTM 31N (EPSG:32631), by PROJ
LONLAT = [(2.3522, 48.8566), (2.2945, 48.8584), (2.3499, 48.8530)]


def run(*args: str) -> Any:
    res = CliRunner().invoke(cli, ["eval", *args])
    return res


def wells(crs: str, shift_m: float = 0.0) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"]}, geometry=[Point(p) for p in LONLAT], crs="EPSG:4326"
    ).to_crs("EPSG:32631")
    gdf.geometry = gdf.geometry.translate(xoff=shift_m)
    return gdf.to_crs(crs)


def legacy_geojson(path: Path, gdf: gpd.GeoDataFrame, epsg: int) -> str:
    """GeoJSON 2008 style: coordinates in `epsg`, named by a `crs` member."""
    feats = [
        {"type": "Feature", "properties": {"id": i}, "geometry": {"type": "Point",
         "coordinates": [g.x, g.y]}}
        for i, g in zip(gdf["id"], gdf.geometry, strict=True)
    ]  # fmt: skip
    crs = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}}
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": feats}))
    return str(path)


def test_a_legacy_crs_member_is_honoured_and_drift_is_in_metres(tmp_path: Path) -> None:
    """Was: a pyproj traceback. The prediction is in UTM 31N by its `crs` member, 2 m east."""
    pred = legacy_geojson(tmp_path / "pred.geojson", wells("EPSG:32631", shift_m=2.0), 32631)
    truth = tmp_path / "truth.geojson"
    wells("EPSG:4326").to_file(truth)
    res = run("--json", pred, str(truth))
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["crs"] == {"pred": "EPSG:32631", "truth": "EPSG:4326"}
    # 2 m east in UTM is 2 m on the ellipsoid up to the zone's scale factor (< 0.1 %)
    assert out["drift"]["n"] == 3 and out["drift"]["max_m"] == pytest.approx(2.0, rel=1e-3)


@pytest.mark.parametrize(
    ("suffix", "write"),
    [
        (".gpkg", lambda g, p: g.to_file(p, driver="GPKG")),
        (".shp", lambda g, p: g.to_file(p)),
        (".fgb", lambda g, p: g.to_file(p, driver="FlatGeobuf")),
        (".parquet", lambda g, p: g.to_parquet(p)),
    ],
)
def test_every_format_in_its_own_crs_gives_the_same_drift(
    tmp_path: Path, suffix: str, write: Any
) -> None:
    truth = tmp_path / f"truth{suffix}"
    write(wells("EPSG:3857"), truth)  # Web Mercator: metres that are not metres
    pred = tmp_path / "pred.geojson"
    wells("EPSG:4326", shift_m=5.0).to_file(pred)
    out = json.loads(run("--json", str(pred), str(truth)).output)
    assert out["crs"]["truth"] == "EPSG:3857"
    assert out["drift"]["max_m"] == pytest.approx(5.0, rel=1e-3)  # not 5 / cos(48.9 deg)


def test_a_layer_without_a_crs_is_refused(tmp_path: Path) -> None:
    truth = tmp_path / "truth.shp"
    wells("EPSG:32631").to_file(truth)
    truth.with_suffix(".prj").unlink()  # a shapefile without its .prj
    pred = tmp_path / "pred.geojson"
    wells("EPSG:4326").to_file(pred)
    res = run(str(pred), str(truth))
    assert res.exit_code == 2 and "truth.shp: the layer has no CRS" in res.output
    assert "Traceback" not in res.output


def test_polygons_in_utm_match_their_lonlat_twins(tmp_path: Path) -> None:
    squares = gpd.GeoDataFrame(
        geometry=[box(448000, 5411000, 448100, 5411100), box(449000, 5411000, 449050, 5411050)],
        crs="EPSG:32631",
    )
    pred, truth = tmp_path / "pred.gpkg", tmp_path / "truth.geojson"
    squares.to_file(pred, driver="GPKG")
    squares.to_crs("EPSG:4326").to_file(truth)
    out = json.loads(run("--json", str(pred), str(truth)).output)
    assert (out["true_positives"], out["f1"]) == (2, 1.0)
    assert out["centroid_drift"]["max_m"] < 0.01


def write_classes(path: Path, data: Any, crs: str, transform: Any) -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
        dtype="uint8", crs=crs, transform=transform,
    ) as dst:  # fmt: skip
        dst.write(data.astype("uint8"), 1)
    return path


def test_a_truth_raster_in_another_crs_is_warped_onto_the_prediction(tmp_path: Path) -> None:
    classes = np.zeros((40, 40), dtype="uint8")
    classes[10:30, 5:25] = 1
    classes[:, 30:] = 2
    utm = from_origin(448000, 5412000, 10, 10)
    pred = write_classes(tmp_path / "pred.tif", classes, "EPSG:32631", utm)
    # the same classes, reprojected to Web Mercator at a finer pixel (nearest neighbour)
    dst_t, w, h = calculate_default_transform(
        "EPSG:32631", "EPSG:3857", 40, 40, 448000, 5411600, 448400, 5412000, resolution=2.0
    )
    mercator = np.zeros((h, w), dtype="uint8")
    reproject(classes, mercator, src_transform=utm, src_crs="EPSG:32631",
              dst_transform=dst_t, dst_crs="EPSG:3857", resampling=Resampling.nearest)  # fmt: skip
    truth = write_classes(tmp_path / "truth.tif", mercator, "EPSG:3857", dst_t)
    out = json.loads(run("--json", str(pred), str(truth)).output)
    assert out["truth_warped_to_pred_grid"] and out["crs"]["truth"] == "EPSG:3857"
    assert out["mean_iou"] > 0.95  # the same classes, up to edge pixels


def test_a_raster_without_a_crs_is_refused(tmp_path: Path) -> None:
    data = np.zeros((4, 4), dtype="uint8")
    pred = write_classes(tmp_path / "pred.tif", data, "EPSG:32631", from_origin(0, 4, 1, 1))
    bare = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "uint8"}
    with (
        pytest.warns(rasterio.errors.NotGeoreferencedWarning),
        rasterio.open(tmp_path / "bare.tif", "w", **bare) as dst,
    ):
        dst.write(data, 1)
    res = run(str(pred), str(tmp_path / "bare.tif"))
    assert res.exit_code == 2 and "bare.tif: the raster has no CRS" in res.output


def test_without_the_libraries_it_names_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pred = tmp_path / "pred.geojson"
    wells("EPSG:4326").to_file(pred)
    monkeypatch.setattr(evaluate_module, "missing", lambda *m: ["geopandas"])
    res = run(str(pred), str(pred))
    assert res.exit_code == 2 and "needs geopandas, not installed here" in res.output
    assert "pip install 'gisbox[workloads]'" in res.output
