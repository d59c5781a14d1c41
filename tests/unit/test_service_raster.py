"""Raster sampling and zonal statistics through the API, and the data-directory fence."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from rasterio.transform import from_origin

from ..conftest import api_client

# 10 x 10 pixels of 1 m in UTM 33N; value = 10 * row + col, nodata = -1 at row 0, col 0
ORIGIN = (500000.0, 4000010.0)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    values = np.arange(100, dtype="float32").reshape(10, 10)
    values[0, 0] = -1
    profile = {
        "driver": "GTiff",
        "width": 10,
        "height": 10,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:32633",
        "transform": from_origin(*ORIGIN, 1, 1),
        "nodata": -1,
    }
    with rasterio.open(root / "grid.tif", "w", **profile) as dst:
        dst.write(values, 1)
    secret = tmp_path_factory.mktemp("secret")
    (secret / "outside.tif").write_bytes((root / "grid.tif").read_bytes())
    os.symlink(secret / "outside.tif", root / "link-out.tif")
    return root


@pytest.fixture(scope="module")
def client(data_dir: Path) -> TestClient:
    client: TestClient = api_client(data_dirs=(str(data_dir),), max_pixels=50)
    return client


def post(client: TestClient, path: str, body: Any) -> Any:
    return client.post(path, json=body)


def test_sample_values_in_the_raster_crs(client: TestClient) -> None:
    # centre of row 2, col 3 -> 23; the nodata pixel and a point outside -> null
    pts = [
        [ORIGIN[0] + 3.5, ORIGIN[1] - 2.5],
        [ORIGIN[0] + 0.5, ORIGIN[1] - 0.5],
        [ORIGIN[0] - 50, ORIGIN[1]],
    ]
    res = post(
        client, "/v1/raster/sample", {"raster": "grid.tif", "points": pts, "crs": "EPSG:32633"}
    )
    assert res.status_code == 200, res.text
    assert res.json()["values"] == [[23.0], [None], [None]]


def test_sample_reprojects_points_from_lon_lat(client: TestClient) -> None:
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(32633, 4326, always_xy=True).transform(
        ORIGIN[0] + 7.5, ORIGIN[1] - 4.5
    )
    res = post(client, "/v1/raster/sample", {"raster": "grid.tif", "points": [[lon, lat]]})
    assert res.json()["values"] == [[47.0]]


def test_zonal_stats_inside_a_polygon(client: TestClient) -> None:
    x0, y0 = ORIGIN
    # rows 1-2, cols 1-3: values 11,12,13,21,22,23
    poly = [
        [[x0 + 1, y0 - 1], [x0 + 4, y0 - 1], [x0 + 4, y0 - 3], [x0 + 1, y0 - 3], [x0 + 1, y0 - 1]]
    ]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": poly},
            }
        ],
    }
    res = post(
        client, "/v1/raster/zonal-stats", {"raster": "grid.tif", "geojson": fc, "crs": 32633}
    )
    assert res.status_code == 200, res.text
    (stats,) = res.json()["stats"]
    assert stats == {"count": 6, "min": 11.0, "max": 23.0, "mean": 17.0, "sum": 102.0}


def test_zonal_stats_refuses_huge_windows(client: TestClient) -> None:
    x0, y0 = ORIGIN
    poly = [[[x0, y0], [x0 + 10, y0], [x0 + 10, y0 - 10], [x0, y0 - 10], [x0, y0]]]
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": poly}}],
    }
    res = post(
        client, "/v1/raster/zonal-stats", {"raster": "grid.tif", "geojson": fc, "crs": 32633}
    )
    assert res.status_code == 400 and "GISBOX_MAX_PIXELS" in res.json()["error"]


@pytest.mark.parametrize(
    "raster",
    [
        "../secret/outside.tif",
        "link-out.tif",
        "/etc/passwd",
        "/vsicurl/http://x/a.tif",
        "https://example.com/a.tif",
        "missing.tif",
    ],
)
def test_nothing_outside_the_data_directories(client: TestClient, raster: str) -> None:
    res = post(client, "/v1/raster/sample", {"raster": raster, "points": [[15, 12]]})
    assert res.status_code == 403, res.text
    assert "outside" in res.json()["error"] or "not" in res.json()["error"]
