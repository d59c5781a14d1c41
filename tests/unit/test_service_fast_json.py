"""The JSON fast path of /v1/transform: a plain batch parsed by simdjson straight into one
array (anything else by orjson, checked point by point), written by orjson; the same
answers, bit for bit, as pyproj called directly, and the same errors as the model's."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
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


def thorough(body: bytes) -> Any:
    return fast_json.coordinates_array(json.loads(body)["coordinates"])


@pytest.mark.parametrize(
    "body",
    [
        b'{"source_crs": 4326, "target_crs": 3857, "coordinates": [[15, 12], [140, 0.5]]}',
        b'{"coordinates":[[1.5,2.5,3.5],[4,5,6]],"source_crs":"EPSG:4979","target_crs":4978}',
        b'{ "source_crs" : "EPSG:4326" ,\n "coordinates" : [ [ -1e-3 , 2E2 ] ,\t[3,4] ] }',
        b'{"source_crs": "+proj=longlat +datum=WGS84", "coordinates": [[1, 2]]}',
    ],
)
def test_a_plain_batch_is_parsed_straight_into_the_same_array(body: bytes) -> None:
    batch = fast_json.parse_batch(body)
    assert batch is not None
    fields, arr = batch
    assert "coordinates" not in fields and fields == {
        k: v for k, v in json.loads(body).items() if k != "coordinates"
    }
    want = thorough(body)
    assert arr.dtype == np.float64 and arr.shape == want.shape and np.array_equal(arr, want)


@pytest.mark.parametrize(
    "body",
    [
        b'{"coordinates": [[1, 2, 3], [4]]}',  # widths differ, same count of numbers as 2 x 2
        b'{"coordinates": [[1, [2, 3]], 4]}',  # nested, and a bare number
        b'{"coordinates": [[1, 2], [3]]}',
        b'{"coordinates": [[1], [2]]}',
        b'{"coordinates": [[1, 2, 3, 4]]}',
        b'{"coordinates": [[]]}',
        b'{"coordinates": []}',
        b'{"coordinates": [1, 2]}',
        b'{"coordinates": [[1, "2"]]}',
        b'{"coordinates": [[1, true]]}',
        b'{"coordinates": [[1, null]]}',
        b'{"coordinates": [[1, {"x": 2}]]}',
        b'{"coordinates": "15,12"}',
        b'{"coordinates": [[1, 2]], "source_crs": "GEOGCRS[\\"WGS 84\\",DATUM[\\"x\\"]]"}',
        b'{"coordinates": [[1, 2]], "source_crs": {"type": "GeographicCRS"}}',
        b'{"coordinates": [[1, 2]], "flag": true}',
        b'{"geojson": {"type": "FeatureCollection", "features": []}}',
        b"[[1, 2]]",
        b'{"coordinates": [[1, 2]',
        b"not json",
    ],
)
def test_anything_but_a_plain_batch_takes_the_thorough_path(body: bytes) -> None:
    assert fast_json.parse_batch(body) is None


numbers = st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6, allow_nan=False))
leaves: Any = st.recursive(numbers, lambda inner: st.lists(inner, max_size=4), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(leaves, max_size=6))
def test_no_shape_is_ever_misread(points: Any) -> None:
    """Whatever the nesting, the fast path answers exactly the thorough path's array, or
    leaves the body to it: it never reads [[1, 2, 3], [4]] as [[1, 2], [3, 4]]."""
    body = json.dumps({"source_crs": 4326, "coordinates": points}).encode()
    batch = fast_json.parse_batch(body)
    if batch is None:
        return
    try:
        want = thorough(body)
    except BadRequest:
        pytest.fail(f"the fast path accepted what the thorough path refuses: {points}")
    assert np.array_equal(batch[1], want)


def test_a_document_still_alive_does_not_block_the_next_request() -> None:
    body = b'{"coordinates": [[1, 2]]}'
    held = fast_json._parse(body)  # a proxy that outlives its request
    batch = fast_json.parse_batch(body)
    assert batch is not None and batch[1].tolist() == [[1.0, 2.0]]
    del held


def test_the_api_takes_the_batch_path_and_answers_the_same_without_simdjson(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"source_crs": 4326, "target_crs": 3857, "coordinates": [[15, 12], [140, 0]]}

    def not_this_path(points: Any) -> Any:
        raise AssertionError("a plain batch went through the point-by-point check")

    with monkeypatch.context() as m:
        m.setattr(fast_json, "coordinates_array", not_this_path)
        fast = client.post("/v1/transform", json=body)
    monkeypatch.setattr(fast_json, "simdjson", None)
    slow = client.post("/v1/transform", json=body)
    assert fast.status_code == slow.status_code == 200 and fast.content == slow.content
    golden = [[1669792.3618991035, 1345708.4084091093], [15584728.711058298, 0.0]]
    assert np.allclose(fast.json()["coordinates"], golden, rtol=0, atol=1e-6)
