"""`gisbox cluster` for real: a scheduler and workers from the analysis image, in containers.

One cluster (two workers, 1 GiB each) serves the module in order: it is hardened and
healthy; every workload gives on it exactly what one process gives in the same image;
a task bigger than a worker's memory makes Dask restart the worker and the job fail
clearly with nothing written; a worker killed in the middle of a job does not change
the result. A second cluster shows a worker with another fingerprint being refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from gisbox.engines.cli_engine import CliEngine
from gisbox.runtime.workloads.selftest import sample_lattice
from tests.image_fixtures import Built, docker, gisbox

pytestmark = pytest.mark.docker

NAME = "ci"
SITE = {"input", "inputs", "output", "out_dir", "index", "raster", "seconds", "peak_rss_mb"}
SITE |= {"cluster", "partitions", "seconds_blocks"}


def write_raster(path: Path, data: np.ndarray) -> None:
    profile = {"driver": "GTiff", "width": data.shape[2], "height": data.shape[1], "tiled": True}
    profile |= {"count": data.shape[0], "dtype": str(data.dtype), "nodata": 0}
    with rasterio.open(
        path, "w", crs="EPSG:32633", transform=from_origin(500000, 4000000, 10, 10), **profile
    ) as dst:
        dst.write(data)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cluster-data")
    rng = np.random.default_rng(21)
    write_raster(root / "bands.tif", rng.integers(1, 4000, (2, 900, 1100)).astype("uint16"))
    smooth = np.add.outer(np.arange(6000), np.arange(6000)).astype("uint16")[None] % 5000 + 1
    write_raster(root / "big.tif", smooth)  # one 6000 x 6000 block exceeds 1 GiB as float64
    sample_lattice(root / "lattice.gpkg")
    pts = rng.uniform(0, 8000, (400, 2))
    gpd.GeoDataFrame(
        {"pid": np.arange(400)},
        geometry=[box(500000 + x, 3991000 + y, 500060 + x, 3991040 + y) for x, y in pts],
        crs="EPSG:32633",
    ).to_crs("EPSG:4326").to_file(root / "parcels.gpkg")
    gpd.GeoDataFrame(
        geometry=[Point(500000 + x, 3991000 + y) for x, y in rng.uniform(0, 8000, (30, 2))],
        crs="EPSG:32633",
    ).to_file(root / "wells.gpkg")
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    return root


def up(project: Path, name: str, data: Path, workers: int) -> dict[str, Any]:
    res = gisbox(
        "cluster", "up", "-C", str(project), "--name", name, "--workers", str(workers),
        "--memory-limit", "1g", "--data", str(data), "--json", timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    info: dict[str, Any] = json.loads(res.stdout)
    return info


def status(project: Path, name: str) -> tuple[int, dict[str, Any]]:
    res = gisbox("cluster", "status", "-C", str(project), "--name", name, "--json")
    return res.returncode, json.loads(res.stdout)


@pytest.fixture(scope="module")
def cluster(analysis_image: Built, data: Path) -> Iterator[dict[str, Any]]:
    project = analysis_image.project
    gisbox("cluster", "down", "-C", str(project), "--name", NAME)
    try:
        yield up(project, NAME, data, workers=2)
    finally:
        res = gisbox("cluster", "down", "-C", str(project), "--name", NAME)
        assert res.returncode == 0, res.stderr


def on_cluster(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return gisbox("cluster", "run", "-C", str(project), "--name", NAME, "--", *args, timeout=900)


def single(
    engine: CliEngine, image: str, data: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """The same workload in one process of the same image, data at the same /data."""
    return docker(
        engine, "run", "--rm", "-v", f"{data}:/data", "-w", "/data", image, "gisbox", "run",
        *args, timeout=900,
    )  # fmt: skip


def summary(res: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert res.returncode == 0, res.stderr[-3000:]
    return {k: v for k, v in json.loads(res.stdout).items() if k not in SITE}


def test_the_cluster_is_whole_hardened_and_healthy(
    engine: CliEngine, analysis_image: Built, cluster: dict[str, Any]
) -> None:
    assert cluster["workers"] == ["worker-1", "worker-2"]
    assert cluster["scheduler"].startswith("tcp://127.0.0.1:")
    deadline = time.monotonic() + 60
    while True:  # the HEALTHCHECK runs every 5 s on Dask's own /health endpoints
        code, state = status(analysis_image.project, NAME)
        if {c["health"] for c in state["containers"].values()} == {"healthy"}:
            break
        assert time.monotonic() < deadline, state["containers"]
        time.sleep(2)
    assert code == 0 and state["whole"] and state["problems"] == []
    assert {w["identity"] for w in state["workers"].values()} == {state["identity"]}
    for name in state["containers"]:
        info = json.loads(docker(engine, "container", "inspect", name).stdout)[0]
        host = info["HostConfig"]
        assert info["Config"]["User"] == "10001:10001"
        assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
        assert "no-new-privileges" in host["SecurityOpt"]
        assert set(host["Tmpfs"]) == {"/tmp", "/home/gis"}
        assert host["NetworkMode"] == f"gisbox-{NAME}"
        for bindings in host["PortBindings"].values():
            assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
        if name.endswith("worker-1"):
            assert host["Memory"] == 1024**3 + 384 * 1024**2
    logs = docker(engine, "logs", f"gisbox-{NAME}-worker-1").stderr
    assert "matches the scheduler's" in logs  # it ran gisbox check before joining


@pytest.mark.parametrize(
    ("args", "outputs"),
    [
        (("chunked", "ndvi", "bands.tif", "--block", "128"), ("{side}.tif",)),
        (("chunked", "focal-mean", "bands.tif", "--size", "7", "--block", "96"), ("{side}.tif",)),
        (("moran", "lattice.gpkg", "--column", "value", "--seed", "3"), ("{side}.parquet",)),
        (("gistar", "lattice.gpkg", "--column", "value", "--seed", "3"), ("{side}.parquet",)),
        (("tiles", "bands.tif", "--size", "128", "--overlap", "32"), ("{side}",)),
        (
            ("features", "parcels.gpkg", "--crs", "EPSG:32633", "--near", "wells.gpkg",
             "--count", "wells.gpkg", "--radius", "1500", "--raster", "bands.tif"),
            ("{side}.parquet",),
        ),
    ],
    ids=["ndvi", "focal-mean", "moran", "gistar", "tiles", "features"],
)  # fmt: skip
def test_a_workload_on_the_cluster_equals_one_process(
    engine: CliEngine,
    analysis_image: Built,
    cluster: dict[str, Any],
    data: Path,
    args: tuple[str, ...],
    outputs: tuple[str, ...],
) -> None:
    label = "-".join(args[:2]).replace(".", "_")
    out = {side: f"out-{label}-{side}" + outputs[0].removeprefix("{side}") for side in "ab"}
    one = summary(single(engine, analysis_image.tag, data, *args, "--out", out["a"], "--json"))
    many = summary(on_cluster(analysis_image.project, *args, "--out", out["b"], "--json"))
    assert one == many
    a, b = data / out["a"], data / out["b"]
    if a.suffix == ".tif":
        assert a.read_bytes() == b.read_bytes()  # the same COG, byte for byte
    elif a.suffix == ".parquet":
        fa, fb = gpd.read_parquet(a), gpd.read_parquet(b)
        pd.testing.assert_frame_equal(fa.drop(columns="geometry"), fb.drop(columns="geometry"))
        assert list(fa.geometry.to_wkb()) == list(fb.geometry.to_wkb())
    else:
        files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
        assert len(files) > 10 and files == sorted(
            p.relative_to(b) for p in b.rglob("*") if p.is_file()
        )
        for rel in files:
            if rel.suffix == ".tif":
                assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
        pd.testing.assert_frame_equal(
            gpd.read_parquet(a / "index.parquet"), gpd.read_parquet(b / "index.parquet")
        )


def test_a_task_beyond_the_memory_limit_restarts_workers_and_fails_clearly(
    analysis_image: Built, cluster: dict[str, Any], data: Path
) -> None:
    args = ("chunked", "focal-mean", "big.tif", "--size", "5", "--block", "6000")
    res = on_cluster(analysis_image.project, *args, "--out", "oom.tif")
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "lost with its worker too many times" in res.stderr
    assert "--memory-limit" in res.stderr and "Traceback" not in res.stderr
    assert not (data / "oom.tif").exists()
    assert not [p.name for p in data.iterdir() if p.name.startswith(".oom")]  # no partial output
    deadline = time.monotonic() + 120
    while True:  # Dask's nanny restarted them; each passed gisbox check again
        code, state = status(analysis_image.project, NAME)
        if code == 0:
            break
        assert time.monotonic() < deadline, state["problems"]
        time.sleep(3)
    assert sorted(state["workers"]) == ["worker-1", "worker-2"]


def test_a_worker_killed_mid_job_does_not_change_the_result(
    engine: CliEngine, analysis_image: Built, cluster: dict[str, Any], data: Path
) -> None:
    args = ("chunked", "focal-mean", "big.tif", "--size", "5", "--block", "512")
    reference = single(engine, analysis_image.tag, data, *args, "--out", "killed-a.tif", "--json")
    job = subprocess.Popen(
        [sys.executable, "-m", "gisbox", "cluster", "run", "-C", str(analysis_image.project),
         "--name", NAME, "--", *args, "--out", "killed-b.tif", "--json", "--progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(data.glob(".killed-b*.parts/r*.tif")):  # the workers are writing regions
        assert job.poll() is None and time.monotonic() < deadline, job.communicate()
        time.sleep(0.2)
    time.sleep(1)
    assert docker(engine, "kill", f"gisbox-{NAME}-worker-2").returncode == 0
    out, err = job.communicate(timeout=900)
    assert job.returncode == 0, err[-3000:]
    assert "chunked focal-mean, regions: " in err and "(100%)\n" in err, err[-3000:]
    assert summary(reference) == {k: v for k, v in json.loads(out).items() if k not in SITE}
    assert (data / "killed-a.tif").read_bytes() == (data / "killed-b.tif").read_bytes()
    assert list(json.loads(out)["cluster"]["workers"]) == ["worker-1"]
    code, state = status(analysis_image.project, NAME)
    assert code == 7 and f"gisbox-{NAME}-worker-2: exited" in state["problems"]


def test_a_worker_with_another_fingerprint_is_refused(
    engine: CliEngine, analysis_image: Built, data: Path
) -> None:
    from dataclasses import replace

    from gisbox.deploy.containers import ClusterOptions, hardening, names, worker_command
    from gisbox.engines.cli_engine import run_flags
    from gisbox.project.spec import load_spec

    project, name = analysis_image.project, "refusal"
    gisbox("cluster", "down", "-C", str(project), "--name", name)
    up(project, name, data, workers=1)
    try:
        spec = load_spec(project / "gisbox.toml")
        n = names(name)
        rogue = [
            "run", "-d", "--name", f"gisbox-{name}-rogue", "--network", n.network,
            "--label", f"gisbox.cluster={name}", "--label", "gisbox.role=worker",
            *run_flags(replace(hardening(spec, "10001:10001"), detach=False))[1:],
            # valid GDAL data, but not the data this image's workers use: drift
            "-e", "GDAL_DATA=/opt/venv/lib/python3.11/site-packages/pyogrio/gdal_data",
            analysis_image.tag,
            *worker_command(n, ClusterOptions(name=name), 9),
        ]  # fmt: skip
        assert docker(engine, *rogue).returncode == 0
        deadline = time.monotonic() + 120
        while True:
            code, state = status(project, name)
            if state["refused"]:
                break
            assert time.monotonic() < deadline
            time.sleep(2)
        assert code == 7 and not state["whole"]
        refused = state["refused"][0]
        assert refused["name"] == "worker-9" and "env" in refused["sections"]
        assert "worker-9: refused, fingerprint differs in env" in " ".join(state["problems"])
        assert sorted(state["workers"]) == ["worker-1"]  # the refused one is not among them
        logs = docker(engine, "logs", f"gisbox-{name}-rogue").stderr
        assert "differs from the scheduler's in env" in logs
    finally:
        assert gisbox("cluster", "down", "-C", str(project), "--name", name).returncode == 0
    assert not docker(
        engine, "ps", "-aq", "--filter", f"label=gisbox.cluster={name}"
    ).stdout.strip()
    assert docker(engine, "network", "inspect", f"gisbox-{name}").returncode != 0
