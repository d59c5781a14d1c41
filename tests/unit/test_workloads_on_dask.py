"""Workloads as Dask graphs give the same results as one process, bit for bit.

A real `distributed.LocalCluster` (two worker processes, one thread each) on
this machine: the same code paths as `--cluster ADDRESS` against `gisbox
cluster up`, without containers (those are in tests/integration/test_cluster.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from libpysal import weights as lw
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from gisbox.runtime.workloads import WorkloadInputError, chunked, features, tiles
from gisbox.runtime.workloads.autocorr import AutocorrRequest
from gisbox.runtime.workloads.autocorr import run as autocorr_run
from gisbox.runtime.workloads.cli import main as run_main
from gisbox.runtime.workloads.executor import DaskExecutor, LocalExecutor

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Any, DaskExecutor]]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as lc,
        distributed.Client(lc) as client,
    ):
        yield lc, DaskExecutor(client, lc.scheduler_address)


def write_raster(path: Path, data: np.ndarray, nodata: float | None = 0) -> Path:
    profile = {"driver": "GTiff", "width": data.shape[2], "height": data.shape[1]}
    profile |= {"count": data.shape[0], "dtype": str(data.dtype), "nodata": nodata}
    with rasterio.open(
        path, "w", crs="EPSG:32633", transform=from_origin(500000, 4000000, 10, 10), **profile
    ) as dst:
        dst.write(data)
    return path


@pytest.fixture
def bands(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    data = rng.integers(1, 3000, (2, 1031, 857)).astype("uint16")  # 2 x 3 regions, ragged
    data[:, 40:90, 100:130] = 0
    return write_raster(tmp_path / "bands.tif", data)


@pytest.mark.parametrize(("op", "size", "block"), [("ndvi", 3, 64), ("focal-mean", 7, 48)])
def test_chunked_on_the_cluster_writes_the_same_cog(
    cluster: Any, bands: Path, tmp_path: Path, op: str, size: int, block: int
) -> None:
    _lc, executor = cluster
    one = chunked.ChunkedRequest(
        inputs=(bands,), output=tmp_path / "one.tif", op=op, size=size, block=block
    )
    many = chunked.ChunkedRequest(
        inputs=(bands,), output=tmp_path / "many.tif", op=op, size=size, block=block
    )
    s1 = chunked.run(one)
    s2 = chunked.run(many, executor=executor)
    assert one.output.read_bytes() == many.output.read_bytes()  # same pixels, same COG
    for key in ("valid_pixels", "mean", "min", "max", "blocks", "width", "height"):
        assert s1[key] == s2[key], key
    assert set(s2["cluster"]["workers"]) == {"0", "1"}
    assert all(mb > 50 for mb in s2["cluster"]["workers"].values())
    with rasterio.open(many.output) as cog:
        assert cog.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert not list(tmp_path.glob(".*"))  # no interim left behind


@pytest.fixture
def lattice(tmp_path: Path) -> Path:
    n = 23  # 529 features: Gi* runs in three chunks of features
    rng = np.random.default_rng(5)
    r, c = np.divmod(np.arange(n * n), n)
    values = (r + c + rng.normal(0, 3, n * n)).round(3) + 40
    geoms = [
        box(500000 + j * 50, 4e6 + i * 50, 500050 + j * 50, 4e6 + 50 + i * 50)
        for i, j in zip(r, c, strict=True)
    ]
    path = tmp_path / "lattice.gpkg"
    gpd.GeoDataFrame({"v": values}, geometry=geoms, crs="EPSG:32633").to_file(path)
    return path


@pytest.mark.parametrize("statistic", ["moran", "gistar"])
def test_permutation_inference_on_the_cluster_is_identical(
    cluster: Any, lattice: Path, statistic: str
) -> None:
    _lc, executor = cluster
    req = AutocorrRequest(path=lattice, column="v", permutations=999, seed=42)
    s1, out1 = autocorr_run(statistic, req, LocalExecutor())
    s2, out2 = autocorr_run(statistic, req, executor)
    assert s1 == s2
    pd.testing.assert_frame_equal(out1.drop(columns="geometry"), out2.drop(columns="geometry"))
    other = AutocorrRequest(path=lattice, column="v", permutations=999, seed=43)
    _s3, out3 = autocorr_run(statistic, other, executor)
    column = "moran_z" if statistic == "moran" else "gi_p_sim"
    if statistic == "gistar":  # another seed, another draw
        assert not np.array_equal(out3[column], out1[column])


def test_pseudo_p_values_agree_with_esda_in_distribution(lattice: Path) -> None:
    """gisbox's seeded tasks and esda's own permutations estimate the same p-values."""
    gdf = gpd.read_file(lattice)
    y = gdf["v"].to_numpy()
    w = lw.Queen.from_dataframe(gdf, use_index=False, silence_warnings=True)
    req = AutocorrRequest(path=lattice, column="v", permutations=9999, seed=1)
    _s, ours = autocorr_run("gistar", req)
    np.random.seed(2)
    theirs = esda.G_Local(y, w, transform="B", permutations=9999, star=True, seed=2, n_jobs=1)
    diff = np.abs(ours["gi_p_sim"].to_numpy() - theirs.p_sim)
    assert diff.max() < 0.03, diff.max()  # Monte Carlo error of 9999 draws
    # a weakly clustered variable: Moran's p_sim is not pinned at its minimum
    weak = gdf.assign(
        v=np.random.default_rng(9).normal(size=len(gdf)) + 0.001 * np.arange(len(gdf))
    )
    weak_path = lattice.with_name("weak.gpkg")
    weak.to_file(weak_path)
    s, _ = autocorr_run(
        "moran", AutocorrRequest(path=weak_path, column="v", permutations=9999, seed=1)
    )
    np.random.seed(3)
    m = esda.Moran(weak["v"].to_numpy(), w, permutations=9999)
    assert 0.002 < s["p_sim"] < 0.9 and abs(s["p_sim"] - m.p_sim) < 0.02
    assert abs(s["z_sim"] - m.z_sim) < 0.1


def test_tiles_on_the_cluster_give_the_same_files_and_index(cluster: Any, tmp_path: Path) -> None:
    _lc, executor = cluster
    data = np.random.default_rng(8).integers(1, 255, (3, 300, 410)).astype("uint8")
    data[:, :80, :80] = 0
    raster = write_raster(tmp_path / "image.tif", data)
    labels = tmp_path / "labels.gpkg"
    gpd.GeoDataFrame(
        {"cls": [1, 2]},
        geometry=[box(500300, 3998000, 501500, 3999500), Point(502000, 3998500).buffer(400)],
        crs="EPSG:32633",
    ).to_crs("EPSG:4326").to_file(labels)
    outs = []
    for name, ex in (("one", LocalExecutor()), ("many", executor)):
        req = tiles.TilesRequest(
            raster=raster,
            out_dir=tmp_path / name,
            size=32,
            overlap=8,
            labels=labels,
            label_column="cls",
        )
        summary = tiles.run(req, executor=ex)
        outs.append((summary, tmp_path / name))
    (s1, d1), (s2, d2) = outs
    assert {k: v for k, v in s1.items() if k not in ("seconds", "out_dir", "index")} == {
        k: v for k, v in s2.items() if k not in ("seconds", "out_dir", "index")
    }
    assert s1["tiles"] > 100 and s1["skipped_empty"] > 0 and s1["labelled_tiles"] > 0
    files1 = sorted(p.relative_to(d1) for p in d1.rglob("*.tif"))
    assert files1 == sorted(p.relative_to(d2) for p in d2.rglob("*.tif"))
    for rel in files1:
        assert (d1 / rel).read_bytes() == (d2 / rel).read_bytes()
    i1, i2 = gpd.read_parquet(d1 / "index.parquet"), gpd.read_parquet(d2 / "index.parquet")
    pd.testing.assert_frame_equal(i1, i2)


@pytest.fixture
def layers(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(4)
    xs, ys = 500000 + rng.uniform(0, 5000, 300), 3994500 + rng.uniform(0, 5000, 300)
    parcels = gpd.GeoDataFrame(
        {"pid": np.arange(300)},
        geometry=[box(x, y, x + rng.uniform(20, 200), y + 80) for x, y in zip(xs, ys, strict=True)],
        crs="EPSG:32633",
    ).to_crs("EPSG:4326")  # stored in degrees: the workload reprojects
    wells = gpd.GeoDataFrame(
        geometry=[Point(500000 + x, 3994500 + y) for x, y in rng.uniform(0, 5000, (40, 2))],
        crs="EPSG:32633",
    ).to_crs("EPSG:3857")  # another CRS again
    paths = {"parcels": tmp_path / "parcels.gpkg", "wells": tmp_path / "wells.geojson"}
    parcels.to_file(paths["parcels"])
    wells.to_file(paths["wells"])
    dem = np.arange(600 * 600, dtype="float32").reshape(1, 600, 600) % 997
    paths["dem"] = write_raster(tmp_path / "dem.tif", dem, nodata=None)
    return paths


def test_features_single_process_and_cluster_give_the_same_table(
    cluster: Any, layers: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _lc, executor = cluster
    monkeypatch.setattr(features, "PARTITION_ROWS", 70)  # five partitions
    req = features.FeaturesRequest(
        layer=layers["parcels"],
        crs="EPSG:32633",
        near=layers["wells"],
        count=layers["wells"],
        radius=800.0,
        raster=layers["dem"],
    )
    s1, t1 = features.run(req)
    s2, t2 = features.run(req, executor.client)
    assert s2["partitions"] == 5 and s1["partitions"] == 1
    pd.testing.assert_frame_equal(t1, t2)
    # independent references: metres in the declared CRS, brute-force distances
    truth = gpd.read_file(layers["parcels"]).to_crs("EPSG:32633")
    wells = gpd.read_file(layers["wells"]).to_crs("EPSG:32633")
    np.testing.assert_allclose(t1["area"], truth.area, rtol=1e-9)
    brute = np.array([wells.distance(g).min() for g in truth.geometry])
    np.testing.assert_allclose(t1["nearest"], brute, rtol=1e-9)
    within = np.array([(wells.distance(g) <= 800).sum() for g in truth.geometry])
    np.testing.assert_array_equal(t1["count_within"], within)
    assert (t1["zonal_count"] > 0).all()
    rows, cols = np.divmod(np.arange(600 * 600), 600)  # every pixel centre of the DEM
    cx, cy = 500000 + 10 * cols + 5.0, 4000000 - 10 * rows - 5.0
    dem = ((rows * 600 + cols) % 997).astype(float)
    for i in range(0, 300, 37):
        inside = shapely.contains_xy(truth.geometry.iloc[i], cx, cy)
        assert t1["zonal_count"].iloc[i] == inside.sum()
        assert t1["zonal_mean"].iloc[i] == pytest.approx(dem[inside].mean(), rel=1e-6)
        assert t1["zonal_max"].iloc[i] == dem[inside].max()


def test_features_refuses_a_layer_without_crs_and_a_geographic_target(
    layers: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(WorkloadInputError, match="geographic CRS"):
        features.run(features.FeaturesRequest(layer=layers["parcels"], crs="EPSG:4326"))
    nocrs = tmp_path / "nocrs.parquet"
    gpd.read_file(layers["parcels"]).set_crs(None, allow_override=True).to_parquet(nocrs)
    with pytest.raises(WorkloadInputError, match=r"nocrs\.parquet: the layer has no CRS"):
        features.run(
            features.FeaturesRequest(layer=layers["parcels"], crs="EPSG:32633", near=nocrs)
        )
    with pytest.raises(WorkloadInputError, match="needs --radius"):
        features.run(
            features.FeaturesRequest(layer=layers["parcels"], crs="EPSG:32633", count=nocrs)
        )


def test_cli_runs_on_the_cluster_and_refuses_an_absent_scheduler(
    cluster: Any, layers: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lc, _executor = cluster
    out = tmp_path / "table.parquet"
    args = [
        "features",
        str(layers["parcels"]),
        "--crs",
        "EPSG:32633",
        "--near",
        str(layers["wells"]),
    ]
    assert run_main([*args, "--out", str(out), "--json", "--cluster", lc.scheduler_address]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 300 and "nearest" in summary["attributes"]
    assert run_main([*args, "--out", str(out), "--cluster", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "--cluster tcp://127.0.0.1:9: no Dask scheduler answers" in err
    assert "gisbox cluster up" in err
