"""`gisbox serve` in a service image built by gisbox: endpoints, readiness HEALTHCHECK,
SIGTERM under load, read-only root filesystem."""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gisbox.engines.cli_engine import CliEngine
from tests.image_fixtures import Built, docker

pytestmark = pytest.mark.docker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(url: str, body: Any = None, timeout: float = 10) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def running(
    engine: CliEngine, service_image: Built, request: pytest.FixtureRequest
) -> Iterator[str]:
    extra: list[str] = getattr(request, "param", [])
    name, port = f"gisbox-svc-{uuid.uuid4().hex[:8]}", free_port()
    res = docker(
        engine,
        "run",
        "-d",
        "--name",
        name,
        "-p",
        f"127.0.0.1:{port}:8080",
        "--health-interval=1s",
        "--health-start-period=0s",
        *extra,
        service_image.tag,
    )
    assert res.returncode == 0, res.stderr
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if call(base + "/healthz", timeout=1)[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    try:
        yield base + "|" + name
    finally:
        engine.remove_container(name)


def split(running: str) -> tuple[str, str]:
    base, name = running.split("|")
    return base, name


def test_endpoints(running: str, service_image: Built) -> None:
    base, _ = split(running)
    assert call(base + "/readyz") == (200, {"status": "ready"})
    status, info = call(base + "/v1/info")
    assert (status == 200 and info["fingerprint_digest"] is None) or info["bindings"]["pyproj"]
    status, out = call(
        base + "/v1/transform",
        {"source_crs": "EPSG:4326", "target_crs": 3857, "coordinates": [[15, 12]]},
    )
    assert status == 200 and abs(out["coordinates"][0][0] - 1669792.3618991035) < 1e-3
    status, err = call(
        base + "/v1/transform",
        {"source_crs": "EPSG:0", "target_crs": 3857, "coordinates": [[15, 12]]},
    )
    assert status == 400 and "unknown CRS" in err["error"]


def test_runs_non_root_under_tini_and_turns_healthy(engine: CliEngine, running: str) -> None:
    _, name = split(running)
    assert docker(engine, "exec", name, "id", "-u").stdout.strip() == "10001"
    cmdline = docker(engine, "exec", name, "cat", "/proc/1/cmdline").stdout
    assert cmdline.startswith("/usr/bin/tini")
    for _ in range(60):
        status = docker(engine, "inspect", "--format", "{{.State.Health.Status}}", name).stdout
        if status.strip() == "healthy":
            break
        time.sleep(0.5)
    assert status.strip() == "healthy"


DATA = Path(tempfile.mkdtemp(prefix="gisbox-svc-data-"))


def _write_grid() -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    DATA.chmod(0o755)  # readable by the image's non-root user
    profile = {
        "driver": "GTiff",
        "width": 4,
        "height": 4,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32633",
        "transform": from_origin(500000, 4000004, 1, 1),
    }
    with rasterio.open(DATA / "grid.tif", "w", **profile) as dst:
        dst.write(np.arange(16, dtype="uint8").reshape(4, 4), 1)
    (DATA / "grid.tif").chmod(0o644)
    scene = np.zeros((4, 8, 8), dtype="float32")  # left half water, right half vegetation
    scene[:, :, :4] = np.array([0.06, 0.05, 0.03, 0.02])[:, None, None]
    scene[:, :, 4:] = np.array([0.04, 0.08, 0.05, 0.45])[:, None, None]
    profile.update(count=4, dtype="float32", width=8, height=8)
    with rasterio.open(DATA / "scene.tif", "w", **profile) as dst:
        dst.write(scene)
    (DATA / "scene.tif").chmod(0o644)


@pytest.mark.parametrize("running", [["-v", f"{DATA}:/data:ro"]], indirect=True)
def test_raster_endpoints_read_only_the_data_directory(running: str) -> None:
    base, _ = split(running)
    status, out = call(
        base + "/v1/raster/sample",
        {"raster": "grid.tif", "crs": 32633, "points": [[500001.5, 4000001.5]]},
    )
    assert (status, out["values"]) == (200, [[9.0]])
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [500000, 4000004],
                            [500002, 4000004],
                            [500002, 4000002],
                            [500000, 4000002],
                            [500000, 4000004],
                        ]
                    ],
                },
            }
        ],
    }
    status, out = call(
        base + "/v1/raster/zonal-stats", {"raster": "grid.tif", "crs": 32633, "geojson": fc}
    )
    assert status == 200 and out["stats"][0]["sum"] == 0 + 1 + 4 + 5
    status, err = call(base + "/v1/raster/sample", {"raster": "../etc/passwd", "points": [[0, 0]]})
    assert status == 403, err


_write_grid()


@pytest.mark.parametrize("running", [["--read-only", "--tmpfs", "/tmp"]], indirect=True)
def test_read_only_root_filesystem(engine: CliEngine, running: str) -> None:
    """A read-only root with a tmpfs on /tmp only: serving works, and `gisbox check` in the
    running container finds every library a writable place (GDAL's and PROJ's in /tmp)."""
    base, name = split(running)
    assert call(base + "/readyz")[0] == 200
    res = docker(engine, "exec", name, "gisbox", "check", "--json", "-")
    fp = json.loads(res.stdout)
    ids = {f["id"] for f in fp["findings"]}
    assert fp["summary"]["error"] == 0, fp["findings"]
    assert not {"runtime.tmp-not-writable", "config.gdal-tmpdir", "runtime.proj-user-dir"} & ids
    assert (
        call(
            base + "/v1/transform",
            {"source_crs": 4326, "target_crs": 32633, "coordinates": [[15, 0]]},
        )[0]
        == 200
    )


def test_sigterm_under_load_finishes_in_flight_requests(engine: CliEngine, running: str) -> None:
    base, name = split(running)
    results: list[int] = []
    body = {
        "source_crs": 4326,
        "target_crs": 3857,
        "coordinates": [[i % 180, (i % 170) - 85] for i in range(20000)],
    }

    def client() -> None:
        for _ in range(5):
            try:
                results.append(call(base + "/v1/transform", body, timeout=30)[0])
            except OSError:
                results.append(-1)  # refused after shutdown: never started, not dropped
                return

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    started = time.monotonic()
    stop = docker(engine, "stop", "-t", "25", name, timeout=60)
    elapsed = time.monotonic() - started
    for t in threads:
        t.join(timeout=60)
    assert stop.returncode == 0 and elapsed < 25
    code = docker(engine, "inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
    # 143: uvicorn re-raises SIGTERM after its graceful shutdown; 137 would mean SIGKILL
    assert code in ("0", "143")
    assert results and all(r in (200, -1) for r in results) and 200 in results


@pytest.mark.parametrize("running", [["-e", "GISBOX_WORKERS=2"]], indirect=True)
def test_several_workers_serve_and_stop_cleanly(engine: CliEngine, running: str) -> None:
    base, name = split(running)
    for _ in range(4):  # requests land on either worker
        status, out = call(
            base + "/v1/transform",
            {"source_crs": 4326, "target_crs": 3857, "coordinates": [[15, 12]]},
        )
        assert status == 200 and abs(out["coordinates"][0][0] - 1669792.3618991035) < 1e-3
    assert docker(engine, "stop", "-t", "20", name, timeout=60).returncode == 0
    code = docker(engine, "inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
    assert code in ("0", "143")
