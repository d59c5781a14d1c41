"""Tile extraction: tiles and labels map back to the source exactly; the index says how."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from rasterio.features import rasterize
from rasterio.transform import from_origin, rowcol, xy
from shapely.geometry import box

from gisbox.cli import cli
from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.tiles import TilesRequest, run, tile_offsets

H, W = 150, 230


def write_raster(path: Path, transform: Affine, crs: str | None = "EPSG:32633") -> Path:
    rng = np.random.default_rng(5)
    data = rng.integers(1, 255, (3, H, W)).astype("uint8")
    data[:, :70, :70] = 0  # the first 64 x 64 tile is nodata only
    profile = {"driver": "GTiff", "width": W, "height": H, "count": 3, "dtype": "uint8"}
    with rasterio.open(path, "w", crs=crs, transform=transform, nodata=0, **profile) as dst:
        dst.write(data)
    return path


@pytest.fixture
def raster(tmp_path: Path) -> Path:
    return write_raster(tmp_path / "image.tif", from_origin(500000, 4000000, 10, 10))


def test_offsets_cover_the_axis_with_the_last_tile_at_the_edge() -> None:
    assert tile_offsets(230, 64, 16) == [0, 48, 96, 144, 192]
    assert tile_offsets(128, 64, 0) == [0, 64]
    assert tile_offsets(64, 64, 0) == [0]
    assert tile_offsets(10, 64, 0) == [0]


def tiles_map_back(raster: Path, out: Path, size: int, atol: float = 0.0) -> int:
    """Every valid tile pixel, located by its ground coordinate, is the source pixel."""
    checked = 0
    rows, cols = np.divmod(np.arange(size * size), size)
    with rasterio.open(raster) as src:
        source = src.read()
        for path in sorted((out / "images").iterdir()):
            with rasterio.open(path) as tile:
                data = tile.read().reshape(src.count, -1)
                x, y = xy(tile.transform, rows, cols)
                r, c = (np.asarray(v) for v in rowcol(src.transform, x, y))
                inside = (r < src.height) & (c < src.width)
                assert (data[:, ~inside] == 0).all()  # padding beyond the edge is nodata
                assert np.array_equal(data[:, inside], source[:, r[inside], c[inside]])
                off = tile.transform
                grid = src.transform @ Affine.translation(*(~src.transform @ (off.c, off.f)))
                assert np.allclose(tuple(off), tuple(grid), rtol=0, atol=atol)
                checked += int(inside.sum())
    return checked


def test_tiles_map_back_to_ground_coordinates_exactly(raster: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiles"
    summary = run(TilesRequest(raster=raster, out_dir=out, size=64, overlap=16))
    assert summary["grid"] == [3, 5] and summary["skipped_empty"] == 1
    assert summary["tiles"] == 14 == len(list((out / "images").iterdir()))
    assert tiles_map_back(raster, out, 64) > H * W  # overlap: pixels appear more than once
    index = gpd.read_parquet(out / "index.parquet")
    with rasterio.open(raster) as src:
        for row in index.itertuples():
            expected = src.transform @ Affine.translation(row.col_off, row.row_off)
            got = Affine(*(getattr(row, f"transform_{c}") for c in "abcdef"))
            assert got == expected  # exact: whole-pixel moves on a 10 m grid
            assert row.geometry.equals(box(*rasterio.transform.array_bounds(64, 64, got)))
    assert index.crs.to_epsg() == 32633 and set(index["crs"]) == {"EPSG:32633"}


def test_awkward_grids_map_back_within_rounding(tmp_path: Path) -> None:
    raster = write_raster(tmp_path / "odd.tif", from_origin(123456.789, 4567890.123, 0.3, 0.3))
    out = tmp_path / "tiles"
    run(TilesRequest(raster=raster, out_dir=out, size=32, overlap=5))
    assert tiles_map_back(raster, out, 32, atol=1e-9) > 0


def test_labels_equal_the_full_grid_rasterisation_tile_by_tile(
    raster: Path, tmp_path: Path
) -> None:
    polys = gpd.GeoDataFrame(
        {"cls": [1, 2, 3]},
        geometry=[
            box(500700, 3998600, 501400, 3999500),
            box(501500, 3998700, 502250, 3999300),  # crosses the right edge
            box(500050, 3999950, 500100, 3999990),  # inside the nodata-only corner tile
        ],
        crs="EPSG:32633",
    ).to_crs("EPSG:4326")  # labels in another CRS are reprojected
    labels = tmp_path / "labels.gpkg"
    polys.to_file(labels)
    out = tmp_path / "tiles"
    summary = run(
        TilesRequest(
            raster=raster, out_dir=out, size=64, overlap=16, labels=labels, label_column="cls"
        )
    )
    full_transform = from_origin(500000, 4000000, 10, 10)
    reprojected = polys.to_crs("EPSG:32633")
    pad = 64
    full = rasterize(
        zip(reprojected.geometry, reprojected.cls, strict=True),
        out_shape=(H + pad, W + pad),
        transform=full_transform,
        dtype="uint8",
    )
    index = gpd.read_parquet(out / "index.parquet")
    assert summary["labelled_tiles"] == int((index.label_pixels > 0).sum()) > 0
    for row in index.itertuples():
        with rasterio.open(out / row.label) as lab:
            mask = lab.read(1)
        expected = full[row.row_off : row.row_off + 64, row.col_off : row.col_off + 64]
        assert np.array_equal(mask, expected), row.tile_id
        assert row.label_pixels == int((mask > 0).sum())


def test_keep_empty_and_a_geopackage_index(raster: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiles"
    summary = run(
        TilesRequest(
            raster=raster,
            out_dir=out,
            size=64,
            overlap=16,
            keep_empty=True,
            index_name="index.gpkg",
        )
    )
    assert summary["tiles"] == 15 and summary["skipped_empty"] == 0
    index = gpd.read_file(out / "index.gpkg")
    assert len(index) == 15 and index.loc[0, "valid_fraction"] == 0.0


def test_bad_inputs_are_refused_and_nothing_is_half_written(raster: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiles"
    no_crs = write_raster(tmp_path / "nocrs.tif", from_origin(100, 100, 1, 1), crs=None)
    unlabelled = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame({"a": [1]}, geometry=[box(0, 0, 1, 1)]).to_file(unlabelled)
    labelled = tmp_path / "labelled.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[box(0, 0, 1, 1)], crs=32633).to_file(labelled)
    cases = {
        "has no CRS": TilesRequest(raster=no_crs, out_dir=out),
        "less than --size": TilesRequest(raster=raster, out_dir=out, size=64, overlap=64),
        "the layer has no CRS": TilesRequest(raster=raster, out_dir=out, labels=unlabelled),
        "no column 'cls'": TilesRequest(
            raster=raster, out_dir=out, labels=labelled, label_column="cls"
        ),
        "unknown output format": TilesRequest(raster=raster, out_dir=out, index_name="index.csv"),
    }
    for message, req in cases.items():
        with pytest.raises(WorkloadInputError, match=message):
            run(req)
    assert not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(WorkloadInputError, match="--overwrite"):
        run(TilesRequest(raster=raster, out_dir=out, size=64))
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_tiles(raster: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiles"
    args = ["run", "tiles", str(raster), "--out", str(out), "--size", "64", "--json"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert '"tiles": 11' in res.output  # 3 x 4 tiles without overlap, the corner skipped
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert CliRunner().invoke(cli, [*args, "--overwrite"]).exit_code == 0


def test_geoparquet_without_pyarrow_is_refused_before_any_work(
    raster: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a)
    )
    out = tmp_path / "tiles"
    with pytest.raises(WorkloadInputError, match="needs pyarrow") as exc:
        run(TilesRequest(raster=raster, out_dir=out, size=64))
    assert "index.gpkg" in str(exc.value) or ".gpkg" in str(exc.value)
    assert not out.exists()
    assert run(TilesRequest(raster=raster, out_dir=out, size=64, index_name="index.gpkg"))["tiles"]


def test_the_output_directory_has_ordinary_permissions(raster: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiles"
    run(TilesRequest(raster=raster, out_dir=out, size=64))
    ordinary = tmp_path / "ordinary"
    ordinary.mkdir()
    assert out.stat().st_mode == ordinary.stat().st_mode  # not a temp dir's 0700
