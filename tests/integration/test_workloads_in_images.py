"""Every workload run inside an `analysis` image built by gisbox and on the host, compared.

The host side is a virtual environment made from the image's own lock, running
the in-image `gisbox` from the source tree; both sides read the same input files.
Summaries, vector outputs, COG pixels, tiles and `check --workloads` numbers must
be identical, not merely close: same wheels, same seeds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from gisbox.engines.cli_engine import CliEngine
from gisbox.image.diff import compare
from gisbox.runtime.workloads.selftest import sample_lattice, sample_raster
from tests.image_fixtures import Built, docker

from .conftest import in_image_gisbox, venv_from_lock

pytestmark = pytest.mark.docker

# Keys that name where a run wrote or how long it took, not what it computed.
SITE_KEYS = {"input", "inputs", "output", "out_dir", "index", "raster", "labels", "seconds"}
SITE_KEYS |= {"peak_rss_mb", "seconds_blocks"}


@pytest.fixture(scope="module")
def host_python(analysis_image: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return venv_from_lock(analysis_image.project, tmp_path_factory.mktemp("venv") / "venv")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Inputs both sides read; world-writable so the image's non-root user can write."""
    root = tmp_path_factory.mktemp("workloads")
    sample_lattice(root / "lattice.gpkg")
    sample_raster(root / "bands.tif", width=300, height=200)
    gpd.GeoDataFrame(
        {"cls": [1, 2]},
        geometry=[box(500300, 3998600, 501200, 3999400), box(502000, 3998200, 502900, 3998900)],
        crs="EPSG:32633",
    ).to_crs("EPSG:4326").to_file(root / "labels.gpkg")
    for side in ("image", "host"):
        (root / side).mkdir()
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    return root


def run_both(
    engine: CliEngine, image: str, python: Path, data: Path, *args: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`gisbox run ARGS --json` in the image (data at /data) and on the host; both summaries."""
    summaries = []
    for side in ("image", "host"):
        root = "/data" if side == "image" else str(data)
        argv = [a.format(data=root, out=f"{root}/{side}") for a in args] + ["--json"]
        if side == "image":
            res = docker(engine, "run", "--rm", "-v", f"{data}:/data", image, "gisbox", *argv)
        else:
            res = in_image_gisbox(python, *argv)
        assert res.returncode == 0, f"{side}: {res.stderr[-2000:]}"
        summaries.append({k: v for k, v in json.loads(res.stdout).items() if k not in SITE_KEYS})
    return summaries[0], summaries[1]


def frames_equal(a: Path, b: Path) -> None:
    fa, fb = gpd.read_parquet(a), gpd.read_parquet(b)
    assert fa.crs == fb.crs and list(fa.columns) == list(fb.columns)
    assert fa.drop(columns="geometry").equals(fb.drop(columns="geometry"))
    assert list(fa.geometry.to_wkb()) == list(fb.geometry.to_wkb())


@pytest.mark.parametrize("statistic", ["moran", "gistar"])
def test_autocorrelation_agrees(
    engine: CliEngine, analysis_image: Built, host_python: Path, data: Path, statistic: str
) -> None:
    args = ["run", statistic, "{data}/lattice.gpkg", "--column", "value"]
    args += ["--permutations", "499", "--seed", "7", "--out", "{out}/" + f"{statistic}.parquet"]
    image, host = run_both(engine, analysis_image.tag, host_python, data, *args)
    assert image == host
    assert image["n"] == 64 and image["weights"]["scheme"] == "queen"
    frames_equal(data / f"image/{statistic}.parquet", data / f"host/{statistic}.parquet")


@pytest.mark.parametrize("op", ["ndvi", "focal-mean"])
def test_chunked_processing_agrees(
    engine: CliEngine, analysis_image: Built, host_python: Path, data: Path, op: str
) -> None:
    args = ["run", "chunked", op, "{data}/bands.tif", "--out", "{out}/" + f"{op}.tif"]
    image, host = run_both(engine, analysis_image.tag, host_python, data, *args, "--block", "64")
    assert image == host and image["blocks"] == 20
    with rasterio.open(data / f"image/{op}.tif") as a, rasterio.open(data / f"host/{op}.tif") as b:
        assert a.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        pa, pb = dict(a.profile), dict(b.profile)
        assert np.isnan(pa.pop("nodata")) and np.isnan(pb.pop("nodata")) and pa == pb
        assert np.array_equal(a.read(), b.read(), equal_nan=True)


def test_tiles_agree(
    engine: CliEngine, analysis_image: Built, host_python: Path, data: Path
) -> None:
    args = ["run", "tiles", "{data}/bands.tif", "--out", "{out}/tiles", "--size", "64"]
    args += ["--overlap", "16", "--labels", "{data}/labels.gpkg", "--label-column", "cls"]
    image, host = run_both(engine, analysis_image.tag, host_python, data, *args)
    assert image == host and image["tiles"] > 0 and image["labelled_tiles"] > 0
    frames_equal(data / "image/tiles/index.parquet", data / "host/tiles/index.parquet")
    names = sorted(p.relative_to(data / "image") for p in (data / "image/tiles").rglob("*.tif"))
    assert names == sorted(
        p.relative_to(data / "host") for p in (data / "host/tiles").rglob("*.tif")
    )
    for name in names:
        with rasterio.open(data / "image" / name) as a, rasterio.open(data / "host" / name) as b:
            assert a.transform == b.transform and np.array_equal(a.read(), b.read())


def test_check_workloads_fingerprints_agree(
    engine: CliEngine, analysis_image: Built, host_python: Path, tmp_path: Path
) -> None:
    res = docker(
        engine, "run", "--rm", analysis_image.tag, "gisbox", "check", "--workloads", "--json", "-"
    )
    assert res.stdout.strip(), res.stderr
    image = json.loads(res.stdout)
    out = tmp_path / "host.json"
    res = in_image_gisbox(host_python, "check", "--workloads", "--json", str(out), "--quiet")
    assert out.exists(), res.stderr
    host = json.loads(out.read_text())
    assert {w["status"] for w in image["workloads"].values()} == {"ok"}
    assert image["workloads"] == host["workloads"]
    # `gisbox build --workloads` kept the same numbers in the build's fingerprint
    built = json.loads((analysis_image.project / ".gisbox/fingerprint.json").read_text())
    assert built["workloads"] == image["workloads"]
    assert [d for d in compare(image, host) if d.kind == "workload"] == []


def test_eval_in_any_crs_agrees(
    engine: CliEngine, analysis_image: Built, host_python: Path, data: Path
) -> None:
    """`gisbox eval` in the image: a prediction in UTM 33N by a legacy GeoJSON `crs` member
    (3 m east of the truth), truth in a GeoPackage in lon/lat; drift in metres."""
    truth = gpd.read_file(data / "labels.gpkg")
    utm = truth.to_crs("EPSG:32633")
    utm.geometry = utm.geometry.centroid.translate(xoff=3.0)
    features = [
        {"type": "Feature", "properties": {"id": int(i)},
         "geometry": {"type": "Point", "coordinates": [g.x, g.y]}}
        for i, g in zip(truth["cls"], utm.geometry, strict=True)
    ]  # fmt: skip
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32633"}}
    pred = data / "pred-utm.geojson"
    pred.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": features}))
    points = truth.copy()
    points.geometry = truth.to_crs("EPSG:32633").geometry.centroid.to_crs("EPSG:4326")
    points["id"] = truth["cls"]
    points.to_file(data / "truth-points.gpkg")
    for path in (pred, data / "truth-points.gpkg"):
        os.chmod(path, 0o666)
    args = ["eval", "{data}/pred-utm.geojson", "{data}/truth-points.gpkg"]
    image, host = run_both(engine, analysis_image.tag, host_python, data, *args)
    assert image == host and image["crs"] == {"pred": "EPSG:32633", "truth": "EPSG:4326"}
    assert image["drift"]["n"] == 2 and image["drift"]["max_m"] == pytest.approx(3.0, rel=1e-3)


def test_bad_input_in_the_image_is_a_clear_error(
    engine: CliEngine, analysis_image: Built, data: Path
) -> None:
    res = docker(
        engine, "run", "--rm", "-v", f"{data}:/data", analysis_image.tag, "gisbox", "run",
        "moran", "/data/lattice.gpkg", "--column", "value", "--weights", "knn",
        "--to-crs", "EPSG:4326",
    )  # fmt: skip
    assert res.returncode == 2
    assert "geographic" in res.stderr and "--to-crs EPSG:32633" in res.stderr


def test_minimal_images_run_what_their_stack_allows(
    engine: CliEngine, minimal_image: Built, data: Path
) -> None:
    """minimal has rasterio and geopandas but no libpysal, esda or pyarrow."""
    run = ["run", "--rm", "-v", f"{data}:/data", minimal_image.tag, "gisbox", "run"]
    res = docker(engine, *run, "chunked", "ndvi", "/data/bands.tif", "--out", "/data/image/m.tif")
    assert res.returncode == 0, res.stderr
    res = docker(engine, *run, "moran", "/data/lattice.gpkg", "--column", "value")
    assert res.returncode == 2 and "needs libpysal, esda" in res.stderr
    # the fix in an image: the project's gisbox.toml (on a host it would be pip)
    assert "add libpysal, esda to [python] packages in gisbox.toml" in res.stderr
    assert "analysis profile" in res.stderr and "pip" not in res.stderr
    tiles = [*run, "tiles", "/data/bands.tif", "--out", "/data/image/mt", "--size", "64"]
    res = docker(engine, *tiles)
    assert res.returncode == 2 and "needs pyarrow" in res.stderr
    res = docker(engine, *tiles, "--index", "index.gpkg")
    assert res.returncode == 0 and (data / "image/mt/index.gpkg").exists()
