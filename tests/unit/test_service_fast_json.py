"""The JSON fast path of /v1/transform: orjson in and out, one array in between; the same
answers, bit for bit, as pyproj called directly, and the same errors as the model's."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer

from gisbox.runtime.service import fast_json
from gisbox.runtime.service.transform import BadRequest
from tests.conftest import api_client


@pytest.fixture(scope="module")
def client() -> TestClient:
    client: TestClient = api_client(max_points=20000, max_body_bytes=4 * 1024 * 1024)
    return client


def test_the_fast_path_is_the_one_taken_here() -> None:
    assert fast_json.FAST  # orjson is installed with the service (and the dev extras)


@pytest.mark.parametrize("dims", [2, 3])
def test_ten_thousand_points_equal_pyproj_s_own_answer(client: TestClient, dims: int) -> None:
    rng = np.random.default_rng(7)
    pts = np.column_stack([rng.uniform(-179, 179, 10000), rng.uniform(-84, 84, 10000)])
    if dims == 3:
        pts = np.column_stack([pts, rng.uniform(-100, 3000, 10000)])
    target = 3857 if dims == 2 else 4978
    body = {"source_crs": 4979 if dims == 3 else 4326, "target_crs": target}
    res = client.post("/v1/transform", content=json.dumps({**body, "coordinates": pts.tolist()}))
    assert res.status_code == 200 and res.headers["content-type"] == "application/json"
    got = np.array(res.json()["coordinates"])
    t = Transformer.from_crs(body["source_crs"], target, always_xy=True)
    want = np.column_stack(t.transform(*pts.T))
    assert got.shape == (10000, dims) and np.array_equal(got, want)  # the same doubles
    assert res.json()["target_crs"] == f"EPSG:{target}"


@pytest.mark.parametrize(
    ("coordinates", "status", "fragment"),
    [
        ("15,12", 422, "invalid request"),  # not a list: the model says so
        ([[15, "12"]], 400, "numbers"),
        ([[15, True]], 400, "numbers"),
        ([[15, 12], [1, 2, 3]], 400, "all of one kind"),
        ([[15, 12], "ab"], 400, "a list [x, y]"),
        ([], 400, "non-empty"),
    ],
)
def test_bad_points_are_refused_as_before(
    client: TestClient, coordinates: Any, status: int, fragment: str
) -> None:
    body = {"source_crs": 4326, "target_crs": 3857, "coordinates": coordinates}
    res = client.post("/v1/transform", json=body)
    assert res.status_code == status, res.text
    assert fragment in res.text and res.json()["request_id"]


def test_an_unknown_field_and_both_payloads_are_still_422(client: TestClient) -> None:
    base = {"source_crs": 4326, "target_crs": 3857, "coordinates": [[1, 2]]}
    assert client.post("/v1/transform", json={**base, "extra": 1}).status_code == 422
    both = {**base, "geojson": {"type": "FeatureCollection", "features": []}}
    assert client.post("/v1/transform", json=both).status_code == 422
    assert client.post("/v1/transform", content=b"[1, 2]").status_code == 422


def test_the_schema_still_documents_the_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/transform"]["post"]["requestBody"]["content"]["application/json"]
    assert "coordinates" in body["schema"]["properties"]


def test_without_orjson_the_standard_library_gives_the_same_bytes_of_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer = {"coordinates": np.array([[1.5, 2.25], [3.0, -4.125]]), "target_crs": "EPSG:3857"}
    fast = json.loads(fast_json.dumps(answer))
    monkeypatch.setattr(fast_json, "orjson", None)
    assert json.loads(fast_json.dumps(answer)) == fast
    assert fast_json.loads(b'{"a": [1, 2.5]}') == {"a": [1, 2.5]}
    with pytest.raises(BadRequest):
        fast_json.coordinates_array([[1.0]])
