"""Windowed raster processing: equal to the whole-array computation, written as a COG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from scipy import ndimage

from gisbox.cli import cli
from gisbox.runtime.workloads import WorkloadInputError, chunked
from gisbox.runtime.workloads.chunked import ChunkedRequest, in_memory, run

TRANSFORM = from_origin(500000, 4000000, 10, 10)


def write_raster(
    path: Path, data: np.ndarray, transform: object = TRANSFORM, crs: str = "EPSG:32633"
) -> Path:
    profile = {"driver": "GTiff", "width": data.shape[2], "height": data.shape[1]}
    profile |= {"count": data.shape[0], "dtype": str(data.dtype), "nodata": 0}
    with rasterio.open(path, "w", crs=crs, transform=transform, **profile) as dst:
        dst.write(data)
    return path


@pytest.fixture
def bands(tmp_path: Path) -> Path:
    """Two uint16 bands, 203 x 157 (no block size divides them), with a nodata hole."""
    rng = np.random.default_rng(11)
    data = rng.integers(1, 2000, (2, 157, 203)).astype("uint16")
    data[:, 30:50, 100:140] = 0
    data[0, 5, 5] = data[1, 5, 5] = 0  # a single nodata pixel inside the first block
    return write_raster(tmp_path / "bands.tif", data)


def read(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read(1)


def test_ndvi_matches_the_formula_and_masks_nodata(bands: Path, tmp_path: Path) -> None:
    out = tmp_path / "ndvi.tif"
    summary = run(ChunkedRequest(inputs=(bands,), output=out, op="ndvi", block=64))
    with rasterio.open(bands) as ds:
        red, nir = ds.read().astype("float64")
    with np.errstate(invalid="ignore"):  # 0/0 at nodata, masked below
        expected = ((nir - red) / (nir + red)).astype("float32")
    expected[(red == 0) | (nir == 0)] = np.nan
    assert np.array_equal(read(out), expected, equal_nan=True)
    assert summary["valid_pixels"] == int((~np.isnan(expected)).sum())
    assert summary["blocks"] == 4 * 3


@pytest.mark.parametrize("block", [16, 48, 64, 512])
@pytest.mark.parametrize("size", [3, 7])
def test_focal_mean_by_blocks_is_bit_identical_to_whole_array(
    bands: Path, tmp_path: Path, block: int, size: int
) -> None:
    req = ChunkedRequest(
        inputs=(bands,), output=tmp_path / "f.tif", op="focal-mean", size=size, block=block
    )
    run(req)
    assert np.array_equal(read(req.output), in_memory(req), equal_nan=True)


def _focal_mean_pixel_by_pixel_order(padded: np.ndarray, halo: int) -> np.ndarray:
    """The definition, one whole-array pass per window offset, in the kernel's order."""
    h, w = padded.shape[0] - 2 * halo, padded.shape[1] - 2 * halo
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for dy in range(2 * halo + 1):
        for dx in range(2 * halo + 1):
            v = padded[dy : dy + h, dx : dx + w]
            total += np.where(np.isnan(v), 0.0, v)
            count += ~np.isnan(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan)


@pytest.mark.parametrize("shape", [(150, 97), (64, 600), (1, 5), (200, 1)])
@pytest.mark.parametrize("halo", [1, 4])
def test_the_strip_kernel_gives_the_bits_of_the_definition(
    shape: tuple[int, int], halo: int
) -> None:
    """Summing in row strips (for the cache) must not change one bit of any pixel,
    whatever the number of rows left for the last strip."""
    rng = np.random.default_rng(7)
    padded = rng.normal(0, 1e3, (shape[0] + 2 * halo, shape[1] + 2 * halo))
    padded[rng.random(padded.shape) < 0.2] = np.nan
    padded[: 2 * halo + 1, : 2 * halo + 1] = np.nan  # a window with no valid pixel at all
    got = chunked.focal_mean(padded, halo)
    assert got.shape == shape
    assert np.array_equal(got, _focal_mean_pixel_by_pixel_order(padded, halo), equal_nan=True)
    assert np.isnan(got[0, 0])


def test_focal_mean_matches_an_independent_filter(bands: Path, tmp_path: Path) -> None:
    req = ChunkedRequest(inputs=(bands,), output=tmp_path / "f.tif", op="focal-mean", size=5)
    run(req)
    with rasterio.open(bands) as ds:
        band = ds.read(1).astype("float64")
    band[band == 0] = np.nan
    with pytest.warns(RuntimeWarning, match="empty slice"):  # windows inside the hole
        # NaN outside the raster: edges average only the pixels that exist
        expected = ndimage.generic_filter(band, np.nanmean, size=5, mode="constant", cval=np.nan)
    np.testing.assert_allclose(read(req.output), expected, rtol=1e-6, equal_nan=True)


def test_output_is_a_cloud_optimized_geotiff_on_the_input_grid(tmp_path: Path) -> None:
    data = np.arange(2 * 1100 * 900, dtype="uint16").reshape(2, 1100, 900) % 3000 + 1
    src = write_raster(tmp_path / "big.tif", data)
    out = tmp_path / "ndvi.tif"
    run(ChunkedRequest(inputs=(src,), output=out, op="ndvi", block=256))
    with rasterio.open(out) as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.overviews(1) == [2, 4]
        assert ds.profile["tiled"] and ds.profile["blockxsize"] == 512
        assert ds.transform == TRANSFORM and ds.crs.to_epsg() == 32633
        assert ds.dtypes[0] == "float32" and np.isnan(ds.nodata)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_bands_can_come_from_several_rasters_on_one_grid(bands: Path, tmp_path: Path) -> None:
    with rasterio.open(bands) as ds:
        red, nir = ds.read()
    r = write_raster(tmp_path / "red.tif", red[None])
    n = write_raster(tmp_path / "nir.tif", nir[None])
    split = ChunkedRequest(inputs=(r, n), output=tmp_path / "a.tif", op="ndvi", bands=(1, 2))
    whole = ChunkedRequest(inputs=(bands,), output=tmp_path / "b.tif", op="ndvi")
    run(split)
    run(whole)
    assert np.array_equal(read(split.output), read(whole.output), equal_nan=True)


def test_bad_inputs_are_refused_before_any_output(bands: Path, tmp_path: Path) -> None:
    with rasterio.open(bands) as ds:
        one = ds.read(1)[None]
    shifted = write_raster(tmp_path / "shifted.tif", one, from_origin(500010, 4000000, 10, 10))
    other_crs = write_raster(tmp_path / "crs.tif", one, crs="EPSG:32634")
    out = tmp_path / "out.tif"
    cases = {
        "does not match": ChunkedRequest(
            inputs=(bands, shifted), output=out, op="ndvi", bands=(1, 3)
        ),
        "EPSG:32634": ChunkedRequest(
            inputs=(bands, other_crs), output=out, op="ndvi", bands=(1, 3)
        ),
        r"2 band\(s\) in all": ChunkedRequest(inputs=(bands,), output=out, op="ndvi", bands=(1, 3)),
        "odd": ChunkedRequest(inputs=(bands,), output=out, op="focal-mean", size=4),
        "multiple of 16": ChunkedRequest(inputs=(bands,), output=out, op="ndvi", block=100),
        "name it .tif": ChunkedRequest(inputs=(bands,), output=tmp_path / "x.png", op="ndvi"),
        "no such file": ChunkedRequest(inputs=(tmp_path / "nope.tif",), output=out, op="ndvi"),
    }
    for message, req in cases.items():
        with pytest.raises(WorkloadInputError, match=message):
            run(req)
    assert not out.exists()


def test_a_failure_midway_leaves_nothing_behind(
    bands: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def failing(req: ChunkedRequest, arrays: list[np.ndarray]) -> np.ndarray:
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError("simulated")
        return chunked.ndvi(arrays[0], arrays[1])

    monkeypatch.setattr(chunked, "_kernel", failing)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(MemoryError):
        run(ChunkedRequest(inputs=(bands,), output=out_dir / "ndvi.tif", op="ndvi", block=32))
    assert list(out_dir.iterdir()) == []


def test_cli_runs_the_workload_and_reports_progress(tmp_path: Path) -> None:
    data = np.random.default_rng(4).integers(1, 2000, (1, 1100, 1300)).astype("uint16")
    bands = write_raster(tmp_path / "wide.tif", data)
    out = tmp_path / "f.tif"
    args = ["run", "chunked", "focal-mean", str(bands), "--out", str(out), "--block", "32"]
    res = CliRunner().invoke(cli, [*args, "--progress"])
    assert res.exit_code == 0, res.output
    assert "chunked focal-mean, regions: 9/9 (100%)" in res.output and "peak_rss_mb" in res.output
    assert out.exists()
    res = CliRunner().invoke(cli, ["run", "chunked", "slope", str(bands), "--out", str(out)])
    assert res.exit_code == 2 and "invalid choice: 'slope'" in res.output
