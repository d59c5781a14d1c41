"""/v1/predict: tiling with overlap, georeferencing, GeoTIFF and GeoJSON outputs, failures."""

from __future__ import annotations

import io
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from rasterio.transform import from_origin

from gisbox.runtime.service import landcover, predict
from gisbox.runtime.service.landcover import CLASSES

from ..conftest import api_client

ORIGIN = (500000.0, 4000040.0)  # UTM 33N, 1 m pixels, 40 x 40


def scene() -> np.ndarray:
    """Left half water, right half vegetation (typical reflectances)."""
    img = np.zeros((4, 40, 40), dtype="float32")
    img[:, :, :20] = np.array([0.06, 0.05, 0.03, 0.02])[:, None, None]
    img[:, :, 20:] = np.array([0.04, 0.08, 0.05, 0.45])[:, None, None]
    return img


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("predict")
    profile = {
        "driver": "GTiff",
        "width": 40,
        "height": 40,
        "count": 4,
        "dtype": "float32",
        "crs": "EPSG:32633",
        "transform": from_origin(*ORIGIN, 1, 1),
    }
    with rasterio.open(root / "scene.tif", "w", **profile) as dst:
        dst.write(scene())
    return root


def make_client(root: Path, model: str = "gisbox.runtime.service.landcover:predict") -> TestClient:
    client: TestClient = api_client(data_dirs=(str(root),), model=model)
    return client


@pytest.fixture(scope="module")
def client(scene_dir: Path) -> TestClient:
    return make_client(scene_dir)


def test_demo_model_classifies_typical_spectra() -> None:
    pred = landcover.predict(scene())
    assert CLASSES[pred[0, 0]] == "water" and CLASSES[pred[0, 39]] == "vegetation"


def test_tiles_with_overlap_equal_one_pass(tmp_path: Path) -> None:
    path = tmp_path / "s.tif"
    rng = np.random.default_rng(0)
    data = rng.random((4, 70, 50)).astype("float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=50,
        height=70,
        count=4,
        dtype="float32",
        crs="EPSG:32633",
        transform=from_origin(*ORIGIN, 1, 1),
    ) as dst:
        dst.write(data)
    whole, t_whole, _ = predict.run(str(path), landcover.predict, tile=4096)
    tiled, t_tiled, _ = predict.run(str(path), landcover.predict, tile=16, overlap=4)
    assert np.array_equal(whole, tiled) and t_whole == t_tiled
    assert np.array_equal(whole, landcover.predict(data))


def test_geojson_polygons_in_the_request_crs(client: TestClient) -> None:
    res = client.post(
        "/v1/predict",
        json={
            "raster": "scene.tif",
            "crs": "EPSG:32633",
            "window": {"col_off": 0, "row_off": 0, "width": 40, "height": 10},
        },
    )
    assert res.status_code == 200, res.text
    feats = res.json()["geojson"]["features"]
    assert sorted(f["properties"]["class"] for f in feats) == [0, 1]
    water = next(f for f in feats if f["properties"]["class"] == 0)
    xs = [p[0] for p in water["geometry"]["coordinates"][0]]
    assert (min(xs), max(xs)) == (ORIGIN[0], ORIGIN[0] + 20)  # georeferenced exactly


def test_geotiff_over_a_polygon_masks_outside(client: TestClient) -> None:
    x0, y0 = ORIGIN
    poly = {
        "type": "Polygon",
        "coordinates": [
            [
                [x0 + 10, y0 - 10],
                [x0 + 30, y0 - 10],
                [x0 + 30, y0 - 20],
                [x0 + 10, y0 - 20],
                [x0 + 10, y0 - 10],
            ]
        ],
    }
    res = client.post(
        "/v1/predict",
        json={"raster": "scene.tif", "geometry": poly, "crs": 32633, "format": "geotiff"},
    )
    assert res.status_code == 200 and res.headers["content-type"] == "image/tiff"
    with rasterio.open(io.BytesIO(res.content)) as src:
        out = src.read(1)
        assert src.crs.to_epsg() == 32633 and (src.transform.c, src.transform.f) == (
            x0 + 10,
            y0 - 10,
        )
    assert out.shape == (10, 20) and set(np.unique(out)) == {0, 1}


def test_bad_requests_and_failing_models(
    client: TestClient, scene_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    far = {
        "raster": "scene.tif",
        "window": {"col_off": 500, "row_off": 500, "width": 5, "height": 5},
    }
    assert client.post("/v1/predict", json=far).status_code == 400
    assert client.post("/v1/predict", json={"raster": "../x.tif"}).status_code == 403

    module = types.ModuleType("broken_models")
    module.boom = lambda a, t, c: 1 / 0  # type: ignore[attr-defined]
    module.wrong = lambda a, t, c: np.zeros((2, 2))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "broken_models", module)
    for name, fragment in (
        ("broken_models:boom", "ZeroDivisionError"),
        ("broken_models:wrong", "returned shape"),
        ("no_such_module:x", "cannot load the model"),
    ):
        res = make_client(scene_dir, model=name).post("/v1/predict", json={"raster": "scene.tif"})
        assert res.status_code == 502 and fragment in res.json()["error"]
        assert client.get("/healthz").status_code == 200  # the process lives on
