"""One COG from regions written independently, each with its own overview levels.

The chunked workload's tasks (in this process, or on a cluster's workers: they
share the output's directory) each write one region of the output into a parts
directory beside it: a float32 GeoTIFF of its pixels (`r{row}c{col}.tif`) and
one file per overview level (`r{row}c{col}.L{f}.tif`). The client then mosaics
them with VRTs, the full resolution plus one per level declared as its
overviews, and GDAL's COG driver copies that mosaic, using those overviews
instead of computing its own, into one COG. Nothing of the raster passes
through the client, and the overviews are computed where the pixels are.

Overviews: level f (2, 4, 8, ... down to the first level whose sides fit in one
512-pixel COG tile) is the mean of the valid (non-NaN) pixels of 2 x 2 pixels
of level f / 2, NaN where none is valid; an odd last row or column averages
what exists. Region origins are multiples of the largest factor, so every
level of a region is exactly that part of the whole raster's level: the COG
does not depend on which process wrote which region.
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

COG_TILE = 512
REGION_BLOCKS = 4  # a region (one task) is up to 4 x 4 blocks

Region = tuple[int, int, int, int]  # row, col, height, width (pixels)


def overview_factors(width: int, height: int, tile: int = COG_TILE) -> list[int]:
    """2, 4, ... until a level's sides fit in one tile (none for a small raster)."""
    factors: list[int] = []
    f = 2
    while math.ceil(width / (f // 2)) > tile or math.ceil(height / (f // 2)) > tile:
        factors.append(f)
        f *= 2
    return factors


def regions(width: int, height: int, block: int, factors: list[int]) -> list[Region]:
    """Square regions of whole blocks whose origins are multiples of every factor."""
    side = math.lcm(block * REGION_BLOCKS, factors[-1] if factors else 1)
    return [
        (row, col, min(side, height - row), min(side, width - col))
        for row in range(0, height, side)
        for col in range(0, width, side)
    ]


def part_name(region: Region, factor: int = 1) -> str:
    row, col = region[0], region[1]
    return f"r{row}c{col}.tif" if factor == 1 else f"r{row}c{col}.L{factor}.tif"


def part_profile(width: int, height: int, block: int, transform: Any) -> dict[str, Any]:
    """A part's GeoTIFF; `transform` places it (the mosaic places parts by pixel offset)."""
    side = min(block, COG_TILE)
    return {
        "transform": transform,
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "nodata": float("nan"),
        "tiled": True,
        "blockxsize": side,
        "blockysize": side,
    }


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
        _downsample(parts / part_name(region, f // 2), parts / part_name(region, f), block)


def _downsample(below: Path, path: Path, block: int) -> None:
    """`path`: `below` at half the resolution (`mean2x2`), in windows of `block`."""
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    with rasterio.open(below) as src:
        w, h = math.ceil(src.width / 2), math.ceil(src.height / 2)
        profile = part_profile(w, h, block, src.transform @ Affine.scale(2))
        with written(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            for row in range(0, h, block):
                for col in range(0, w, block):
                    bh, bw = min(block, h - row), min(block, w - col)
                    window = Window(
                        2 * col,
                        2 * row,
                        min(2 * bw, src.width - 2 * col),
                        min(2 * bh, src.height - 2 * row),
                    )
                    data = src.read(1, window=window)
                    dst.write(mean2x2(data), 1, window=Window(col, row, bw, bh))


def _source(band: ET.Element, name: str, size: tuple[int, int], at: tuple[int, int]) -> None:
    w, h = size
    src = ET.SubElement(band, "SimpleSource")
    ET.SubElement(src, "SourceFilename", relativeToVRT="1").text = name
    ET.SubElement(src, "SourceBand").text = "1"
    ET.SubElement(src, "SrcRect", xOff="0", yOff="0", xSize=str(w), ySize=str(h))
    ET.SubElement(src, "DstRect", xOff=str(at[0]), yOff=str(at[1]), xSize=str(w), ySize=str(h))


def _vrt(
    width: int, height: int, sources: list[tuple[str, int, int, int, int]]
) -> tuple[ET.Element, ET.Element]:
    root = ET.Element("VRTDataset", rasterXSize=str(width), rasterYSize=str(height))
    band = ET.SubElement(root, "VRTRasterBand", dataType="Float32", band="1")
    ET.SubElement(band, "NoDataValue").text = "nan"
    for name, x, y, w, h in sources:
        _source(band, name, (w, h), (x, y))
    return root, band


def write_mosaic(
    parts: Path,
    regions_: list[Region],
    size: tuple[int, int],
    factors: list[int],
    crs_wkt: str | None,
    transform: Any,
) -> Path:
    """`parts/mosaic.vrt`: the regions at full resolution, their levels as overviews."""
    width, height = size
    for f in factors:
        sources = [
            (part_name(r, f), r[1] // f, r[0] // f, math.ceil(r[3] / f), math.ceil(r[2] / f))
            for r in regions_
        ]
        root, _ = _vrt(math.ceil(width / f), math.ceil(height / f), sources)
        ET.ElementTree(root).write(parts / f"L{f}.vrt")
    root, band = _vrt(
        width,
        height,
        [(part_name(r), r[1], r[0], r[3], r[2]) for r in regions_],
    )
    if crs_wkt:
        srs = ET.Element("SRS")
        srs.text = crs_wkt
        root.insert(0, srs)
    gt = ET.Element("GeoTransform")
    gt.text = ", ".join(repr(float(v)) for v in transform.to_gdal())
    root.insert(1 if crs_wkt else 0, gt)
    for f in factors:
        ovr = ET.SubElement(band, "Overview")
        ET.SubElement(ovr, "SourceFilename", relativeToVRT="1").text = f"L{f}.vrt"
        ET.SubElement(ovr, "SourceBand").text = "1"
    ET.ElementTree(root).write(parts / "mosaic.vrt")
    return parts / "mosaic.vrt"


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
