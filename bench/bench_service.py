"""Benchmark `gisbox serve`: throughput and latency of /v1/transform and /v1/predict.

    .venv/bin/python bench/bench_service.py [--seconds 10] [--connections 8]

Builds the `service` profile with gisbox, runs it on 127.0.0.1, drives it with wrk
(Debian's `wrk`: apt-get install wrk) and prints requests/s, p50/p99 latency and errors.
One-point /v1/transform requests are driven with 64 connections (target: >= 3,000
requests/s at p99 <= 50 ms with 2 workers on 2 cores). For batches of /v1/transform it
also prints points per second against pyproj called directly in
one process inside the same image (target: JSON reaches >= 35 % of direct at 10 000 points
per request, through the orjson fast path; the binary endpoint must not regress).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import rasterio
from bench_minimal import build, lock
from rasterio.transform import from_origin

from gisbox.engines.docker import detect_docker
from gisbox.project.profiles import init_project
from gisbox.project.spec import SPEC_FILE

BATCH = 10_000
TARGET_SINGLE_RPS, TARGET_SINGLE_P99_MS = 3000, 50  # one point per request, 64 connections
DIRECT = f"""
import time
from pyproj import Transformer
xs = [(i % 3600) / 10 - 180 for i in range({BATCH})]
ys = [(i % 1700) / 10 - 85 for i in range({BATCH})]
t = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
n, start = 0, time.perf_counter()
while time.perf_counter() - start < 3:
    t.transform(xs, ys)
    n += 1
print(n * {BATCH} / (time.perf_counter() - start))
"""
DONE = """done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.1f %.1f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"""
LUA_BINARY = (
    """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
local f = io.open("{path}", "rb")
wrk.body = f:read("*all")
f:close()
"""
    + DONE
)
LUA = (
    """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[{body}]==]
"""
    + DONE
)


def wrk(
    url: str, body: dict[str, object] | bytes | None, seconds: int, connections: int, workdir: Path
) -> tuple[float, float, float, int]:
    """(requests/s, p50 s, p99 s, errors); a GET without a body."""
    script = workdir / "post.lua"
    if body is None:
        script.write_text('wrk.method = "GET"\n' + DONE)
    elif isinstance(body, bytes):
        (workdir / "body.bin").write_bytes(body)
        script.write_text(LUA_BINARY.format(path=workdir / "body.bin"))
    else:
        script.write_text(LUA.format(body=json.dumps(body)))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r"RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)", out)
    assert m, out
    requests, errors, micros = int(m.group(1)), int(m.group(2)), int(m.group(3))
    # wrk reports latency percentiles in microseconds
    return requests / (micros / 1e6), float(m.group(4)) / 1e6, float(m.group(5)) / 1e6, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="GISBOX_WORKERS (one per core)")
    parser.add_argument(
        "--single-connections", type=int, default=64, help="connections for one-point requests"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    engine = detect_docker()
    with tempfile.TemporaryDirectory(prefix="gisbox-bench-svc-") as tmp:
        root = Path(tmp)
        project, data = root / "project", root / "data"
        project.mkdir()
        data.mkdir(mode=0o755)
        init_project(project, "service")
        spec_path = project / SPEC_FILE
        spec_path.write_text(
            re.sub(
                r'^name = "[^"]*"',
                'name = "gisbox-bench/service"',
                spec_path.read_text(),
                flags=re.M,
            )
        )
        spec = lock(project, engine).spec
        build(project, engine)
        rng = np.random.default_rng(0)
        with rasterio.open(
            data / "scene.tif",
            "w",
            driver="GTiff",
            width=512,
            height=512,
            count=4,
            dtype="float32",
            crs="EPSG:32633",
            transform=from_origin(500000, 4000512, 1, 1),
        ) as dst:
            # four land-cover blocks with a little noise: realistic, not one polygon per pixel
            spectra = np.array(
                [
                    [0.06, 0.05, 0.03, 0.02],
                    [0.04, 0.08, 0.05, 0.45],
                    [0.15, 0.20, 0.26, 0.32],
                    [0.18, 0.19, 0.20, 0.22],
                ]
            )
            classes = (np.arange(512)[:, None] // 128 + np.arange(512)[None, :] // 128) % 4
            img = spectra[classes].transpose(2, 0, 1) + rng.normal(0, 0.005, (4, 512, 512))
            dst.write(img.astype("float32"))
        (data / "scene.tif").chmod(0o644)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        name = f"gisbox-bench-svc-{port}"
        engine.command(
            "run",
            "-d",
            "--name",
            name,
            "-p",
            f"127.0.0.1:{port}:8080",
            "-v",
            f"{data}:/data:ro",
            "-e",
            f"GISBOX_WORKERS={args.workers}",
            spec.reference,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/readyz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            direct = float(engine.command("exec", name, "python", "-c", DIRECT).stdout)
            points = [[(i % 3600) / 10 - 180, (i % 1700) / 10 - 85] for i in range(BATCH)]
            t_rps, t50, t99, t_err = wrk(
                base + "/v1/transform",
                {"source_crs": "EPSG:4326", "target_crs": 3857, "coordinates": points},
                args.seconds,
                args.connections,
                root,
            )
            b_rps, b50, b99, b_err = wrk(
                base + "/v1/transform/array?source_crs=EPSG:4326&target_crs=EPSG:3857",
                np.asarray(points, dtype="<f8").tobytes(),
                args.seconds,
                args.connections,
                root,
            )
            s_rps, s50, s99, s_err = wrk(
                base + "/v1/transform",
                {"source_crs": "EPSG:4326", "target_crs": "EPSG:3857", "coordinates": [[15, 12]]},
                args.seconds,
                args.single_connections,
                root,
            )
            # the HTTP stack alone (uvicorn, Starlette, the port mapping): the ceiling the
            # one-point transformation shares with its own work
            h_rps, h50, h99, _ = wrk(
                base + "/healthz", None, args.seconds, args.single_connections, root
            )
            p_rps, p50, p99, p_err = wrk(
                base + "/v1/predict",
                {"raster": "scene.tif", "crs": 32633, "window": {"width": 256, "height": 256}},
                args.seconds,
                args.connections,
                root,
            )
        finally:
            engine.remove_container(name)
    served, binary = t_rps * BATCH, b_rps * BATCH
    print(
        f"gisbox bench: service ({args.workers} workers), wrk -t2 -c{args.connections} "
        f"-d{args.seconds}s on 127.0.0.1"
    )
    print(
        f"  /v1/transform ({BATCH} points/request): {t_rps:.1f} req/s = {served:,.0f} points/s, "
        f"p50 {t50 * 1000:.1f} ms, p99 {t99 * 1000:.1f} ms, errors {t_err}"
    )
    print(
        f"  /v1/transform/array (float64, {BATCH} points/request): {b_rps:.1f} req/s = "
        f"{binary:,.0f} points/s, p50 {b50 * 1000:.1f} ms, p99 {b99 * 1000:.1f} ms, "
        f"errors {b_err}"
    )
    print(
        f"  pyproj directly, one process: {direct:,.0f} points/s -> JSON at "
        f"{served / direct:.0%} (target >= 35 %: "
        f"{'met' if served >= 0.35 * direct else 'MISSED'}), binary at {binary / direct:.0%}"
    )
    single_met = s_rps >= TARGET_SINGLE_RPS and s99 * 1000 <= TARGET_SINGLE_P99_MS
    print(
        f"  /v1/transform (one point, {args.single_connections} connections): {s_rps:,.0f} req/s, "
        f"p50 {s50 * 1000:.1f} ms, p99 {s99 * 1000:.1f} ms, errors {s_err} (target >= "
        f"{TARGET_SINGLE_RPS:,} req/s at p99 <= {TARGET_SINGLE_P99_MS} ms: "
        f"{'met' if single_met else 'MISSED'})"
    )
    print(
        f"  GET /healthz ({args.single_connections} connections, the HTTP stack alone): "
        f"{h_rps:,.0f} req/s, p50 {h50 * 1000:.1f} ms, p99 {h99 * 1000:.1f} ms -> a one-point "
        f"transformation's own work is {1000 * args.workers * (1 / s_rps - 1 / h_rps):.2f} "
        "ms of a worker per request"
    )
    print(
        f"  /v1/predict (256 x 256 window, GeoJSON): {p_rps:.1f} req/s, "
        f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, errors {p_err}"
    )


if __name__ == "__main__":
    main()
