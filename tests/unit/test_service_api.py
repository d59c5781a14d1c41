"""The spatial API in-process (FastAPI TestClient, pyproj on this host)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..conftest import api_client


@pytest.fixture(scope="module")
def client() -> TestClient:
    client: TestClient = api_client(max_points=1000, max_body_bytes=64 * 1024)
    return client


def post(client: TestClient, body: Any) -> Any:
    return client.post("/v1/transform", json=body)


def test_health_and_info(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    info = client.get("/v1/info").json()
    assert info["bindings"]["pyproj"]["proj"]
    assert client.get("/openapi.json").json()["info"]["title"] == "gisbox spatial API"


def test_batch_transform_matches_the_golden_values(client: TestClient) -> None:
    res = post(
        client, {"source_crs": "EPSG:4326", "target_crs": 3857, "coordinates": [[15, 12], [140, 0]]}
    )
    assert res.status_code == 200
    (x1, y1), (x2, _) = res.json()["coordinates"]
    assert abs(x1 - 1669792.3618991035) < 1e-3 and abs(y1 - 1345708.4084091093) < 1e-3
    assert abs(x2 - 15584728.711058298) < 1e-3
    assert res.headers["x-request-id"]


def test_projjson_and_wkt_inputs(client: TestClient) -> None:
    from pyproj import CRS

    res = post(
        client,
        {
            "source_crs": json.loads(CRS(4326).to_json()),
            "target_crs": CRS(32633).to_wkt(),
            "coordinates": [[15, 0]],
        },
    )
    assert res.status_code == 200
    x, y = res.json()["coordinates"][0]
    assert abs(x - 500000) < 1e-6 and abs(y) < 1e-6


def test_geojson_feature_collection(client: TestClient) -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "a"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[15, 12], [16, 12], [16, 13], [15, 12]]],
                },
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [15, 12]},
            },
        ],
    }
    res = post(client, {"source_crs": 4326, "target_crs": 3857, "geojson": fc})
    assert res.status_code == 200
    out = res.json()["geojson"]
    assert out["features"][0]["properties"] == {"name": "a"}
    assert abs(out["features"][1]["geometry"]["coordinates"][0] - 1669792.3618991035) < 1e-3


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (
            {"source_crs": "EPSG:9999999", "target_crs": 3857, "coordinates": [[1, 2]]},
            400,
            "unknown CRS",
        ),
        ({"source_crs": 4326, "target_crs": 3857, "coordinates": [[15, 95]]}, 400, "out of range"),
        ({"source_crs": 4326, "target_crs": 3857, "coordinates": [[15]]}, 400, "[x, y]"),
        ({"source_crs": 4326, "target_crs": 3857}, 422, "invalid request"),
        (
            {"source_crs": 4326, "target_crs": 3857, "coordinates": [[1, 2]] * 1001},
            400,
            "at most 1000",
        ),
        (
            {"source_crs": 4326, "target_crs": 3857, "geojson": {"type": "Feature"}},
            400,
            "FeatureCollection",
        ),
    ],
)
def test_bad_input_gets_a_json_4xx(
    client: TestClient, body: Any, status: int, fragment: str
) -> None:
    res = post(client, body)
    assert res.status_code == status, res.text
    assert fragment in json.dumps(res.json()) and res.json()["request_id"]


def test_malformed_json_and_oversized_body(client: TestClient) -> None:
    res = client.post(
        "/v1/transform", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert res.status_code == 422 and res.json()["error"] == "invalid request"
    big = client.post(
        "/v1/transform",
        content=b"x" * (64 * 1024 + 1),
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.one_of(json_values, st.sampled_from(["EPSG:4326", 4326, "+proj=longlat"])),
    target=st.one_of(json_values, st.sampled_from(["EPSG:3857", 32633, "EPSG:2154"])),
    coords=st.one_of(
        json_values,
        st.lists(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4), max_size=5),
    ),
    geojson=st.one_of(st.none(), json_values),
)
def test_fuzz_never_answers_5xx(
    client: TestClient, source: Any, target: Any, coords: Any, geojson: Any
) -> None:
    body = {"source_crs": source, "target_crs": target, "coordinates": coords}
    if geojson is not None:
        body["geojson"] = geojson
    res = client.post(
        "/v1/transform", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert res.status_code < 500, (body, res.text)


def test_binary_array_endpoint(client: TestClient) -> None:
    import numpy as np

    pts = np.array([[15.0, 12.0], [140.0, 0.0]], dtype="<f8")
    res = client.post(
        "/v1/transform/array?source_crs=EPSG:4326&target_crs=EPSG:3857",
        content=pts.tobytes(),
        headers={"content-type": "application/octet-stream"},
    )
    assert res.status_code == 200 and res.headers["content-type"] == "application/octet-stream"
    out = np.frombuffer(res.content, dtype="<f8").reshape(-1, 2)
    assert abs(out[0, 0] - 1669792.3618991035) < 1e-3 and abs(out[1, 0] - 15584728.711058298) < 1e-3
    bad = client.post(
        "/v1/transform/array?source_crs=EPSG:4326&target_crs=EPSG:3857", content=b"12345"
    )
    assert bad.status_code == 400 and "float64" in bad.json()["error"]


ENDPOINTS = ("/v1/transform", "/v1/raster/sample", "/v1/raster/zonal-stats", "/v1/predict")


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    body=json_values,
    raw=st.one_of(st.none(), st.binary(max_size=64)),
)
def test_fuzz_every_endpoint_never_answers_5xx(
    client: TestClient, endpoint: str, body: Any, raw: bytes | None
) -> None:
    content = raw if raw is not None else json.dumps(body).encode()
    res = client.post(endpoint, content=content, headers={"content-type": "application/json"})
    assert res.status_code < 500, (endpoint, content, res.text)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200), src=st.text(max_size=20), dims=st.integers(-2, 5))
def test_fuzz_binary_transform_never_answers_5xx(
    client: TestClient, raw: bytes, src: str, dims: int
) -> None:
    res = client.post(
        "/v1/transform/array",
        params={"source_crs": src or "EPSG:4326", "target_crs": "EPSG:3857", "dims": dims},
        content=raw,
    )
    assert res.status_code < 500, (raw, src, dims, res.text)


def test_a_client_gone_before_its_body_is_no_error(caplog: pytest.LogCaptureFixture) -> None:
    """A client that disconnects while sending (a cancelled upload, a load balancer's
    timeout) is logged as one request with status 499, never as an unhandled error."""
    import asyncio

    app = api_client().app
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/transform", "raw_path": b"/v1/transform",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80), "headers": [(b"content-type", b"application/json")],
    }  # fmt: skip
    with caplog.at_level("INFO", logger="gisbox.runtime.service"):
        asyncio.run(app(scope, receive, send))
    assert "unhandled error" not in caplog.text and "Traceback" not in caplog.text
    assert '"status": 499' in caplog.text


def test_every_setting_is_documented_from_its_own_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """`gisbox serve --help` lists each GISBOX_ variable with the default the code uses."""
    from gisbox.runtime.service.config import Settings, environment

    docs = environment()
    assert len(docs) == len(Settings.model_fields)
    assert docs["GISBOX_MAX_POINTS"].endswith("(100000)")
    assert docs["GISBOX_ALLOWED_URL_PREFIXES"].endswith("(none)")
    monkeypatch.setenv("GISBOX_ALLOWED_URL_PREFIXES", "https://a/,https://b/")
    monkeypatch.setenv("GISBOX_DATA_DIRS", "/x:/y")
    settings = Settings.from_env()
    assert settings.url_prefixes == ("https://a/", "https://b/")
    assert settings.data_dirs == ("/x", "/y")
    monkeypatch.setenv("GISBOX_PORT", "eighty")
    with pytest.raises(SystemExit, match="GISBOX_PORT='eighty'"):
        Settings.from_env()


def test_an_unexpected_error_is_a_json_500_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Anything a route lets escape: the process lives on, the client gets JSON naming the
    request (its own `x-request-id`, honoured), and the log has one line with the status."""
    client = api_client()
    app = client.app

    @app.get("/boom")  # type: ignore[attr-defined,misc]
    def boom() -> None:
        raise RuntimeError("a bug")

    quiet = TestClient(app, raise_server_exceptions=False)  # type: ignore[arg-type]
    with caplog.at_level("INFO", logger="gisbox.runtime.service"):
        res = quiet.get("/boom", headers={"x-request-id": "req-42"})
    assert res.status_code == 500 and res.headers["x-request-id"] == "req-42"
    assert res.json() == {"error": "internal error: RuntimeError", "request_id": "req-42"}
    assert '"request_id": "req-42"' in caplog.text and '"status": 500' in caplog.text
    assert quiet.get("/healthz").status_code == 200


def test_repeated_crs_inputs_give_one_transformer_and_the_same_answer(client: TestClient) -> None:
    from gisbox.runtime.service import transform

    body = {"source_crs": "EPSG:4326", "target_crs": "EPSG:32633", "coordinates": [[15, 52]]}
    first, second = post(client, body).json(), post(client, body).json()
    assert first == second and first["target_crs"] == "EPSG:32633"
    src, dst = transform.parse_crs("EPSG:4326"), transform.parse_crs("EPSG:32633")
    assert transform.parse_crs("EPSG:4326") is src  # parsed once
    assert transform.transformer(src, dst) is transform.transformer(src, dst)
    assert post(client, {**body, "target_crs": "EPSG:32632"}).json()["target_crs"] == "EPSG:32632"
