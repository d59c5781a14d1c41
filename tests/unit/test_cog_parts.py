"""The chunked COG's overviews: computed per region, equal to the whole raster's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from gisbox.runtime.workloads import cog_parts
from gisbox.runtime.workloads.chunked import ChunkedRequest, in_memory, run


@pytest.fixture
def dem(tmp_path: Path) -> Path:
    """1100 x 1301 float32 (odd width: every level has a partial last column), a hole."""
    rng = np.random.default_rng(3)
    data = (rng.normal(100, 20, (1100, 1301))).astype("float32")
    data[200:330, 400:777] = -9999  # nodata: whole 2x2 cells and partial ones
    data[7, 9] = -9999
    path = tmp_path / "dem.tif"
    profile = {"driver": "GTiff", "width": 1301, "height": 1100, "count": 1, "dtype": "float32"}
    with rasterio.open(
        path, "w", crs="EPSG:32633", transform=from_origin(5e5, 4e6, 10, 10), nodata=-9999,
        **profile,
    ) as dst:  # fmt: skip
        dst.write(data, 1)
    return path


def level(path: Path, index: int) -> np.ndarray:
    with rasterio.open(path, overview_level=index) as ds:
        return ds.read(1)


def nanmean2x2(a: np.ndarray) -> np.ndarray:
    """An independent reference: numpy's nanmean over padded 2 x 2 cells."""
    h, w = a.shape
    padded = np.full((h + h % 2, w + w % 2), np.nan)
    padded[:h, :w] = a
    cells = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="Mean of empty"):
        return np.nanmean(cells, axis=(1, 3))


def test_overview_factors_stop_when_a_level_fits_one_tile() -> None:
    assert cog_parts.overview_factors(20067, 20067) == [2, 4, 8, 16, 32, 64]
    assert cog_parts.overview_factors(1100, 900) == [2, 4]
    assert cog_parts.overview_factors(512, 512) == []
    assert cog_parts.overview_factors(513, 10) == [2]


def test_regions_cover_the_raster_once_with_origins_on_every_factor() -> None:
    for width, height, block in ((20067, 20067, 512), (1301, 1100, 16), (70000, 300, 48)):
        factors = cog_parts.overview_factors(width, height)
        todo = cog_parts.regions(width, height, block, factors)
        covered = np.zeros((height, width), dtype="uint8") if width < 5000 else None
        assert sum(h * w for _, _, h, w in todo) == width * height
        for row, col, h, w in todo:
            assert row % factors[-1] == col % factors[-1] == 0
            assert row % cog_parts.COG_TILE == col % cog_parts.COG_TILE == 0
            if covered is not None:
                covered[row : row + h, col : col + w] += 1
        assert covered is None or (covered == 1).all()


def test_the_overviews_are_the_nan_aware_mean_of_the_level_below(dem: Path, tmp_path: Path) -> None:
    req = ChunkedRequest(
        inputs=(dem,), output=tmp_path / "f.tif", op="focal-mean", size=3, block=64
    )
    run(req)
    full = in_memory(req)
    with rasterio.open(req.output) as ds:
        assert ds.overviews(1) == [2, 4]
    two, four = level(req.output, 0), level(req.output, 1)
    assert two.shape == (550, 651) and four.shape == (275, 326)
    np.testing.assert_allclose(two, nanmean2x2(full), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(four, nanmean2x2(two), rtol=1e-6, equal_nan=True)
    assert np.isnan(two[110:160, 205:383]).all()  # the hole stays nodata in overviews


@pytest.mark.parametrize("block", [16, 48, 256])
def test_the_cog_does_not_depend_on_how_the_raster_was_cut(
    dem: Path, tmp_path: Path, block: int
) -> None:
    """Regions of any size give the same file: every level is the whole raster's."""
    ref = ChunkedRequest(inputs=(dem,), output=tmp_path / "a.tif", op="focal-mean", block=512)
    cut = ChunkedRequest(inputs=(dem,), output=tmp_path / "b.tif", op="focal-mean", block=block)
    run(ref)
    summary = run(cut)
    assert summary["regions"] > 1
    assert ref.output.read_bytes() == cut.output.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_part_written_again_replaces_the_first_whole(tmp_path: Path) -> None:
    target = tmp_path / "r0c0.tif"
    with cog_parts.written(target) as tmp:
        tmp.write_text("first")
    with pytest.raises(OSError), cog_parts.written(target) as tmp:  # a task dying midway
        tmp.write_text("torn")
        raise OSError("worker died")
    assert target.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["r0c0.tif"]


def test_the_parts_directory_takes_the_output_directory_s_permissions(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # as a cluster's data directory: the workers' uid writes there
    with cog_parts.parts_dir(shared / "out.tif") as parts:
        assert parts.parent == shared and parts.name.startswith(".out.")
        assert parts.stat().st_mode & 0o777 == 0o777
        (parts / "r0c0.tif").write_text("x")
    assert list(shared.iterdir()) == []


def test_a_worker_that_does_not_see_the_output_directory_says_so(dem: Path, tmp_path: Path) -> None:
    from gisbox.runtime.workloads import WorkloadInputError
    from gisbox.runtime.workloads.chunked import write_region

    req = ChunkedRequest(inputs=(dem,), output=tmp_path / "out.tif", op="focal-mean")
    elsewhere = tmp_path / ".out.123.parts"  # the client's, not on this worker's filesystem
    with pytest.raises(WorkloadInputError, match="does not see the output's directory") as err:
        write_region((0, 0, 64, 64), req, elsewhere)
    assert "--data DIR" in str(err.value.hint)


def test_the_summary_counts_the_blocks_the_tasks_computed(
    dem: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task's blocks start at its region's origin (regions are whole tiles, not whole
    blocks): the count is theirs, and the pixels are the whole-array result."""
    from gisbox.runtime.workloads import chunked

    calls = []
    kernel = chunked._kernel
    monkeypatch.setattr(chunked, "_kernel", lambda req, a: calls.append(1) or kernel(req, a))
    req = ChunkedRequest(inputs=(dem,), output=tmp_path / "f.tif", op="focal-mean", block=96)
    summary = run(req)
    assert summary["regions"] == 9  # rows and columns of 512, 512, 76 and 512, 512, 277
    assert summary["blocks"] == len(calls) == 4 * 36 + 2 * 18 + 2 * 6 + 3
    assert np.array_equal(level(req.output, None), in_memory(req), equal_nan=True)
