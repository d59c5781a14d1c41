"""One COG from regions written independently, each with its own overview levels.

The chunked workload's tasks (in this process, or on a cluster's workers: they
share the output's directory) each write one region of the output into a parts
directory beside it: a float32 GeoTIFF of its pixels (`r{row}c{col}.tif`) and
one file per overview level (`r{row}c{col}.L{f}.tif`), tiled and compressed
exactly as the COG is (512-pixel tiles, DEFLATE, floating-point predictor). The
client then places those compressed tiles, without decoding them, into one COG
(`cog_assemble`): the compression, the bulk of writing a COG, is done by the
tasks, in parallel on a cluster, and nothing of the raster passes through the
client. A level whose region origins do not fall on tile boundaries (the small
overviews, 1/64 of the pixels or less) is mosaicked from its parts with a VRT
and compressed once by the client.

Overviews: level f (2, 4, 8, ... down to the first level whose sides fit in one
512-pixel COG tile) is the mean of the valid (non-NaN) pixels of 2 x 2 pixels
of level f / 2, NaN where none is valid; an odd last row or column averages
what exists. Region origins are multiples of the tile and of the largest
factor, so every level of a region is exactly that part of the whole raster's
level: the COG does not depend on which process wrote which region.
"""

from __future__ import annotations

import math
import os
import shutil
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads import cog_assemble

COG_TILE = 512
REGION_BLOCKS = 4  # a region (one task) is about 4 x 4 blocks

Region = tuple[int, int, int, int]  # row, col, height, width (pixels)


def overview_factors(width: int, height: int, tile: int = COG_TILE) -> list[int]:
    """2, 4, ... until a level's sides fit in one tile (none for a small raster)."""
    factors: list[int] = []
    f = 2
    while math.ceil(width / (f // 2)) > tile or math.ceil(height / (f // 2)) > tile:
        factors.append(f)
        f *= 2
    return factors


def region_side(block: int, factors: list[int]) -> int:
    """About `REGION_BLOCKS` x `REGION_BLOCKS` blocks, in whole COG tiles and a multiple
    of every factor. A task's blocks start at its region's origin: a region need not
    hold whole blocks of the raster's grid (the kernels give every pixel the same bits
    in any block)."""
    base = math.lcm(COG_TILE, factors[-1] if factors else 1)
    return base * max(1, round(block * REGION_BLOCKS / base))


def tile_aligned(regions_: list[Region], factor: int) -> bool:
    """Whether level `factor` of every region starts on the level's tile grid."""
    return all((r[0] // factor) % COG_TILE == (r[1] // factor) % COG_TILE == 0 for r in regions_)


def regions(width: int, height: int, block: int, factors: list[int]) -> list[Region]:
    """Square regions whose origins are multiples of the tile and of every factor."""
    side = region_side(block, factors)
    return [
        (row, col, min(side, height - row), min(side, width - col))
        for row in range(0, height, side)
        for col in range(0, width, side)
    ]


def part_name(region: Region, factor: int = 1) -> str:
    row, col = region[0], region[1]
    return f"r{row}c{col}.tif" if factor == 1 else f"r{row}c{col}.L{factor}.tif"


# tiled and compressed as the COG: the tasks' tiles are its tiles, byte for byte
TILES = {
    "tiled": True,
    "blockxsize": COG_TILE,
    "blockysize": COG_TILE,
    "compress": "deflate",
    "predictor": 3,  # floating point
    "zlevel": 6,
    "BIGTIFF": "NO",  # a part is at most a region; the COG itself may be a BigTIFF
}


def whole_tiles(pixels: int) -> int:
    return -(-pixels // COG_TILE) * COG_TILE


def part_profile(width: int, height: int, transform: Any) -> dict[str, Any]:
    """A part's GeoTIFF for `width` x `height` pixels: tiled and compressed as the COG,
    its sides rounded up to whole tiles (`pad_with_nodata` fills the rest), so that no
    tile is partial and every tile's bytes are the pixels' alone, however GDAL would
    pad a partial one; `transform` places it."""
    return {
        "transform": transform,
        "driver": "GTiff",
        "width": whole_tiles(width),
        "height": whole_tiles(height),
        "count": 1,
        "dtype": "float32",
        "nodata": float("nan"),
        **TILES,
    }


def pad_with_nodata(dst: Any, width: int, height: int) -> None:
    """NaN in `dst` right of `width` and below `height` (the tiles' padding)."""
    import numpy as np
    from rasterio.windows import Window

    if dst.width > width:
        dst.write(np.full((dst.height, dst.width - width), np.nan, "float32"), 1,
                  window=Window(width, 0, dst.width - width, dst.height))  # fmt: skip
    if dst.height > height:
        dst.write(np.full((dst.height - height, width), np.nan, "float32"), 1,
                  window=Window(0, height, width, dst.height - height))  # fmt: skip


@contextmanager
def written(path: Path) -> Iterator[Path]:
    """A temporary name for `path`, renamed onto it when complete: a task that is run
    again (its worker died) replaces a part instead of leaving a torn one."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def mean2x2(a: Any) -> Any:
    """The NaN-aware mean of each 2 x 2 cell (float32), in a fixed order per pixel."""
    import numpy as np

    h, w = a.shape
    padded = np.full((h + h % 2, w + w % 2), np.nan)
    padded[:h, :w] = a
    total = np.zeros((padded.shape[0] // 2, padded.shape[1] // 2))
    count = np.zeros_like(total)
    for dy in (0, 1):
        for dx in (0, 1):
            v = padded[dy::2, dx::2]
            valid = ~np.isnan(v)
            total += np.where(valid, v, 0.0)
            count += valid
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan).astype("float32")


def write_levels(parts: Path, region: Region, factors: list[int], block: int) -> None:
    """The region's overview levels, each from the one before."""
    for f in factors:
        below = (math.ceil(region[3] / (f // 2)), math.ceil(region[2] / (f // 2)))
        _downsample(parts / part_name(region, f // 2), below, parts / part_name(region, f), block)


def _downsample(below: Path, size: tuple[int, int], path: Path, block: int) -> None:
    """`path`: the `size` pixels of `below` at half the resolution (`mean2x2`), in
    windows of `block`."""
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    with rasterio.open(below) as src:
        w, h = math.ceil(size[0] / 2), math.ceil(size[1] / 2)
        profile = part_profile(w, h, src.transform @ Affine.scale(2))
        with written(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            for row in range(0, h, block):
                for col in range(0, w, block):
                    bh, bw = min(block, h - row), min(block, w - col)
                    window = Window(
                        2 * col,
                        2 * row,
                        min(2 * bw, size[0] - 2 * col),
                        min(2 * bh, size[1] - 2 * row),
                    )
                    data = src.read(1, window=window)
                    dst.write(mean2x2(data), 1, window=Window(col, row, bw, bh))
            pad_with_nodata(dst, w, h)


def _source(band: ET.Element, name: str, size: tuple[int, int], at: tuple[int, int]) -> None:
    w, h = size
    src = ET.SubElement(band, "SimpleSource")
    ET.SubElement(src, "SourceFilename", relativeToVRT="1").text = name
    ET.SubElement(src, "SourceBand").text = "1"
    ET.SubElement(src, "SrcRect", xOff="0", yOff="0", xSize=str(w), ySize=str(h))
    ET.SubElement(src, "DstRect", xOff=str(at[0]), yOff=str(at[1]), xSize=str(w), ySize=str(h))


def _vrt(width: int, height: int, sources: list[tuple[str, int, int, int, int]]) -> ET.Element:
    """A float32 VRT of `sources` (name, x, y, w, h); NaN where none lies."""
    root = ET.Element("VRTDataset", rasterXSize=str(width), rasterYSize=str(height))
    band = ET.SubElement(root, "VRTRasterBand", dataType="Float32", band="1")
    ET.SubElement(band, "NoDataValue").text = "nan"
    for name, x, y, w, h in sources:
        _source(band, name, (w, h), (x, y))
    return root


def _level_tiles(path: Path, tile_row: int, tile_col: int) -> dict[tuple[int, int], Any]:
    """A part's tiles by their place in its level's tile grid."""
    ifd = cog_assemble.read_ifd(path)
    across = -(-ifd.size[0] // COG_TILE)
    return {
        (tile_row + i // across, tile_col + i % across): cog_assemble.TileRef(path, offset, size)
        for i, (offset, size) in enumerate(ifd.tiles())
    }


def _mosaicked(
    parts: Path, regions_: list[Region], size: tuple[int, int], factor: int
) -> dict[tuple[int, int], Any]:
    """Level `factor` from its parts through a VRT, compressed as the COG by this
    process (for levels whose regions do not start on a tile)."""
    from rasterio.shutil import copy as gdal_copy

    width, height = size
    sources = [
        (
            part_name(r, factor),
            r[1] // factor,
            r[0] // factor,
            math.ceil(r[3] / factor),
            math.ceil(r[2] / factor),
        )
        for r in regions_
    ]
    padded = (whole_tiles(math.ceil(width / factor)), whole_tiles(math.ceil(height / factor)))
    root = _vrt(*padded, sources)  # whole tiles, NaN beyond the level
    ET.ElementTree(root).write(parts / f"L{factor}.vrt")
    path = parts / f"L{factor}.tif"
    gdal_copy(parts / f"L{factor}.vrt", path, driver="GTiff", **{**TILES, "BIGTIFF": "IF_SAFER"})
    return _level_tiles(path, 0, 0)


def assemble(
    parts: Path,
    regions_: list[Region],
    size: tuple[int, int],
    factors: list[int],
    georef: tuple[Any, Any],
    out: Path,
) -> int:
    """`out`: the COG of the parts (full resolution, then levels `factors`); its size.

    `georef`: the raster's CRS (or None) and transform, written by GDAL into a
    template whose tags the COG takes.
    """
    import rasterio

    width, height = size
    crs, transform = georef
    levels = []
    for factor in [1, *factors]:
        if tile_aligned(regions_, factor):
            tiles: dict[tuple[int, int], Any] = {}
            for r in regions_:
                at = (r[0] // factor // COG_TILE, r[1] // factor // COG_TILE)
                tiles |= _level_tiles(parts / part_name(r, factor), *at)
        else:
            tiles = _mosaicked(parts, regions_, size, factor)
        w, h = math.ceil(width / factor), math.ceil(height / factor)
        levels.append(cog_assemble.Level(w, h, tuple(tiles[k] for k in sorted(tiles))))
    template = parts / "template.tif"
    profile = part_profile(width, height, transform) | {"width": width, "height": height}
    with rasterio.open(template, "w", crs=crs, SPARSE_OK=True, **profile):
        pass  # the tags only: GeoTIFF keys, compression, tiling, nodata
    with out.open("wb") as f:
        return cog_assemble.write_cog(f, cog_assemble.read_ifd(template), levels)


@contextmanager
def parts_dir(output: Path) -> Iterator[Path]:
    """`.{stem}.{pid}.parts` beside `output`, with the output directory's permissions
    (a cluster's workers write into it as their own user), removed however it ends."""
    output.parent.mkdir(parents=True, exist_ok=True)
    parts = output.with_name(f".{output.stem}.{os.getpid()}.parts")
    parts.mkdir()
    os.chmod(parts, output.parent.stat().st_mode & 0o777)
    try:
        yield parts
    finally:
        # a cancelled task still running on a worker may finish a part meanwhile
        for _ in range(20):
            shutil.rmtree(parts, ignore_errors=True)
            if not parts.exists():
                break
            time.sleep(0.5)
