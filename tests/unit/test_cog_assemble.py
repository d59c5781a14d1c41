"""The COG assembled from compressed tiles: what GDAL's COG driver writes, and valid.

`cog_errors` is rio-cogeo's validator (the checks of GDAL's
`validate_cloud_optimized_geotiff.py`), so the layout is judged by a reader that is not
the writer's code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.shutil import copy as gdal_copy
from rasterio.transform import from_origin
from rio_cogeo.cogeo import cog_validate

from gisbox.runtime.workloads import cog_assemble, cog_parts
from gisbox.runtime.workloads.chunked import ChunkedRequest, gdal_env, run

TILE = cog_parts.COG_TILE


def cog_errors(path: Path) -> list[str]:
    """rio-cogeo's validation (GDAL's `validate_cloud_optimized_geotiff.py` checks, the
    ghost area, IFD and data order, leaders and trailers), strict: warnings count."""
    valid, errors, warnings = cog_validate(str(path), strict=True, quiet=True)
    return [] if valid else [*errors, *warnings]


@pytest.fixture
def levels(tmp_path: Path) -> tuple[list[np.ndarray], list[cog_assemble.Level], Path]:
    """1100 x 1301 float32 and two halvings, each as a padded, compressed part."""
    rng = np.random.default_rng(9)
    full = rng.normal(0, 40, (1100, 1301)).astype("float32")
    full[300:340, 50:90] = np.nan
    arrays = [full, cog_parts.mean2x2(full)]
    arrays.append(cog_parts.mean2x2(arrays[1]))
    out = []
    for f, a in zip((1, 2, 4), arrays, strict=True):
        path = tmp_path / f"L{f}.tif"
        profile = cog_parts.part_profile(a.shape[1], a.shape[0], from_origin(0, 0, 2 * f, 2 * f))
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(a, 1, window=rasterio.windows.Window(0, 0, a.shape[1], a.shape[0]))
            cog_parts.pad_with_nodata(dst, a.shape[1], a.shape[0])
        tiles = cog_assemble.read_ifd(path).tiles()
        refs = tuple(cog_assemble.TileRef(path, o, n) for o, n in tiles)
        out.append(cog_assemble.Level(a.shape[1], a.shape[0], refs))
    template = tmp_path / "template.tif"
    profile = cog_parts.part_profile(1301, 1100, from_origin(5e5, 4e6, 10, 10))
    profile |= {"width": 1301, "height": 1100}
    with rasterio.open(template, "w", crs="EPSG:32633", SPARSE_OK=True, **profile):
        pass
    return arrays, out, template


@pytest.mark.parametrize("bigtiff", [None, True])
def test_the_cog_is_valid_and_holds_every_level(
    levels: tuple[list[np.ndarray], list[cog_assemble.Level], Path],
    tmp_path: Path,
    bigtiff: bool | None,
) -> None:
    arrays, parts, template = levels
    out = tmp_path / "out.tif"
    with out.open("wb") as f:
        size = cog_assemble.write_cog(f, cog_assemble.read_ifd(template), parts, bigtiff=bigtiff)
    assert size == out.stat().st_size
    assert (out.read_bytes()[2:4] == b"\x2b\x00") is bool(bigtiff)
    assert cog_errors(out) == []
    with rasterio.open(out) as ds:
        assert ds.overviews(1) == [2, 4]
        assert ds.crs == "EPSG:32633" and ds.transform == from_origin(5e5, 4e6, 10, 10)
        assert ds.block_shapes == [(TILE, TILE)] and np.isnan(ds.nodata)
        assert ds.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
        assert ds.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "3"
        assert np.array_equal(ds.read(1), arrays[0], equal_nan=True)
    for i, expected in enumerate(arrays[1:]):
        with rasterio.open(out, overview_level=i) as ovr:
            assert np.array_equal(ovr.read(1), expected, equal_nan=True)


def test_above_4_gib_of_offsets_the_cog_is_a_bigtiff(
    levels: tuple[list[np.ndarray], list[cog_assemble.Level], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _arrays, parts, template = levels
    monkeypatch.setattr(cog_assemble, "CLASSIC_LIMIT", 1 << 20)  # this file is 7 MB
    out = tmp_path / "out.tif"
    with out.open("wb") as f:
        cog_assemble.write_cog(f, cog_assemble.read_ifd(template), parts)
    assert out.read_bytes()[2:4] == b"\x2b\x00"
    assert cog_errors(out) == []


def test_the_full_resolution_is_what_gdal_s_cog_driver_writes(
    levels: tuple[list[np.ndarray], list[cog_assemble.Level], Path], tmp_path: Path
) -> None:
    """The same tags, and the very tiles GDAL's COG driver compresses from the pixels:
    the tasks' compression is the COG's."""
    arrays, parts, template = levels
    out = tmp_path / "out.tif"
    with out.open("wb") as f:
        cog_assemble.write_cog(f, cog_assemble.read_ifd(template), parts)
    src = tmp_path / "src.tif"
    with rasterio.open(src, "w", driver="GTiff", width=1301, height=1100, count=1,
                       dtype="float32", nodata=float("nan"), crs="EPSG:32633",
                       transform=from_origin(5e5, 4e6, 10, 10)) as dst:  # fmt: skip
        dst.write(arrays[0], 1)
    gdal = tmp_path / "gdal.tif"
    gdal_copy(src, gdal, driver="COG", COMPRESS="DEFLATE", PREDICTOR="YES", OVERVIEWS="NONE")
    ours, theirs = cog_assemble.read_ifd(out), cog_assemble.read_ifd(gdal)
    skip = {cog_assemble.TILE_OFFSETS, cog_assemble.TILE_BYTE_COUNTS}
    assert {t: e for t, e in ours.entries.items() if t not in skip} == {
        t: e for t, e in theirs.entries.items() if t not in skip
    }
    mine, gdal_bytes = out.read_bytes(), gdal.read_bytes()
    tiles = list(zip(ours.tiles(), theirs.tiles(), strict=True))
    assert len(tiles) == 9
    for i in (0, 1, 3, 4):  # the whole tiles (GDAL pads the partial ones its own way)
        (o1, n1), (o2, n2) = tiles[i]
        assert mine[o1 : o1 + n1] == gdal_bytes[o2 : o2 + n2]


def test_a_part_cut_short_or_a_missing_tile_is_an_error(
    levels: tuple[list[np.ndarray], list[cog_assemble.Level], Path], tmp_path: Path
) -> None:
    _arrays, parts, template = levels
    ifd = cog_assemble.read_ifd(template)
    short = cog_assemble.Level(parts[0].width, parts[0].height, parts[0].tiles[:-1])
    with (tmp_path / "a.tif").open("wb") as f, pytest.raises(cog_assemble.TiffError, match="9"):
        cog_assemble.write_cog(f, ifd, [short, *parts[1:]])
    last = parts[0].tiles[-1]
    path = last.path
    path.write_bytes(path.read_bytes()[: last.offset + 10])
    with (tmp_path / "b.tif").open("wb") as f, pytest.raises(cog_assemble.TiffError, match="cut"):
        cog_assemble.write_cog(f, ifd, parts)
    (tmp_path / "c.tif").write_text("not a tiff")
    with pytest.raises(cog_assemble.TiffError, match="not a little-endian TIFF"):
        cog_assemble.read_ifd(tmp_path / "c.tif")


def test_the_chunked_workload_writes_a_valid_cog_from_several_regions(tmp_path: Path) -> None:
    """Regions of 512 pixels: level 1 from the tasks' tiles, levels 2 and 4 mosaicked."""
    rng = np.random.default_rng(1)
    data = rng.normal(500, 50, (1, 1100, 1301)).astype("float32")
    src = tmp_path / "in.tif"
    with rasterio.open(src, "w", driver="GTiff", width=1301, height=1100, count=1,
                       dtype="float32", crs="EPSG:32633",
                       transform=from_origin(5e5, 4e6, 10, 10)) as dst:  # fmt: skip
        dst.write(data)
    req = ChunkedRequest(inputs=(src,), output=tmp_path / "out.tif", op="focal-mean", block=64)
    assert run(req)["regions"] == 9
    assert cog_errors(req.output) == []


def test_a_task_s_gdal_cache_is_cache_mb_megabytes() -> None:
    from rasterio._env import get_gdal_config

    req = ChunkedRequest(inputs=(), output=Path("x.tif"), op="ndvi", cache_mb=48)
    with gdal_env(req):
        assert get_gdal_config("GDAL_CACHEMAX") == 48 * 1024 * 1024
        assert get_gdal_config("GDAL_NUM_THREADS") == 1


def test_the_validation_refuses_a_tiled_tiff_that_is_not_a_cog(
    levels: tuple[list[np.ndarray], list[cog_assemble.Level], Path], tmp_path: Path
) -> None:
    """The checks above can fail: a plain tiled GeoTIFF with overviews added after."""
    arrays, _parts, _template = levels
    plain = tmp_path / "plain.tif"
    profile = cog_parts.part_profile(1301, 1100, from_origin(5e5, 4e6, 10, 10))
    with rasterio.open(plain, "w", **(profile | {"width": 1301, "height": 1100})) as dst:
        dst.write(arrays[0], 1)
    with rasterio.open(plain, "r+") as dst:
        dst.build_overviews([2, 4])
    errors = cog_errors(plain)
    assert any("should be after the one of the overview" in e for e in errors), errors
