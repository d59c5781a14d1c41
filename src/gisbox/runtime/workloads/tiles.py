"""Tile extraction for deep learning: fixed-size georeferenced tiles with overlap.

Tiles start every `size - overlap` pixels from the top-left corner; the last
tile in a row or column reaches past the raster's edge and is padded with the
nodata value (0 when the raster has none), so every tile is size x size and
shares the source grid. A tile's transform is the source transform translated
by whole pixels, so tile pixel (row, col) is source pixel
(row_off + row, col_off + col) at the same ground coordinates. Tiles with no
valid pixel are skipped unless `keep_empty`.

Optional label polygons are reprojected to the raster's CRS and burned per tile
(pixel centres inside a polygon take its `label_column` value, else 1).

Output directory: `images/<id>.tif`, `labels/<id>.tif` and the index
(GeoParquet `index.parquet`, or GeoPackage `index.gpkg`), one row per tile:
id, paths, offsets, size, the six transform coefficients, CRS, valid
fraction, labelled pixel count and the footprint polygon.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.executor import Executor, LocalExecutor
from gisbox.runtime.workloads.inputs import (
    Progress,
    ensure_crs,
    file_versions,
    no_progress,
    read_layer,
    staged_dir,
    vector_format,
)

TRANSFORM_COLUMNS = tuple(f"transform_{c}" for c in "abcdef")


@dataclass(frozen=True, kw_only=True)
class TilesRequest:
    raster: Path
    out_dir: Path
    size: int = 256
    overlap: int = 0
    labels: Path | None = None
    label_column: str | None = None
    index_name: str = "index.parquet"
    keep_empty: bool = False
    overwrite: bool = False


def tile_offsets(length: int, size: int, overlap: int) -> list[int]:
    """Start offsets along one axis: every size - overlap, the last one covering the edge."""
    stride = size - overlap
    offsets = [0]
    while offsets[-1] + size < length:
        offsets.append(offsets[-1] + stride)
    return offsets


def tile_transform(transform: Any, row_off: int, col_off: int) -> Any:
    """The source transform moved by whole pixels (the source grid, a new origin)."""
    from affine import Affine

    a, b, c, d, e, f = tuple(transform)[:6]
    return Affine(a, b, a * col_off + b * row_off + c, d, e, d * col_off + e * row_off + f)


def _validate(req: TilesRequest, src: Any) -> None:
    if req.size < 16:
        raise WorkloadInputError(f"--size {req.size}: tiles must be at least 16 pixels")
    if not 0 <= req.overlap < req.size:
        raise WorkloadInputError(
            f"--overlap {req.overlap}: must be at least 0 and less than --size ({req.size})"
        )
    if src.crs is None:
        raise WorkloadInputError(
            f"{req.raster}: the raster has no CRS; tiles would not be georeferenced",
            "assign one first (e.g. gdal_edit.py -a_srs EPSG:XXXX)",
        )
    if src.transform.is_identity:
        raise WorkloadInputError(f"{req.raster}: the raster has no geotransform")
    vector_format(Path(req.index_name), "--index")


_LABELS: dict[tuple[Any, ...], tuple[Any, Any]] = {}


def _labels(req: TilesRequest, crs: Any) -> tuple[Any, Any]:
    """(label layer in the raster's CRS, burn values) or (None, None); read once per
    process and request (every partition on a worker, or here, uses the same)."""
    key = (req, str(crs), file_versions(req.labels))
    if key not in _LABELS:
        _LABELS.clear()  # one request's labels at a time
        _LABELS[key] = _read_labels(req, crs)
    return _LABELS[key]


def _read_labels(req: TilesRequest, crs: Any) -> tuple[Any, Any]:
    import numpy as np
    import pandas as pd

    if req.labels is None:
        return None, None
    gdf = ensure_crs(read_layer(req.labels), req.labels, projected=False).to_crs(crs)
    if req.label_column is None:
        return gdf, np.ones(len(gdf), dtype="int64")
    if req.label_column not in gdf.columns:
        raise WorkloadInputError(f"{req.labels}: no column {req.label_column!r}")
    values = gdf[req.label_column]
    if not pd.api.types.is_integer_dtype(values) or values.isna().any():
        raise WorkloadInputError(
            f"{req.labels}: --label-column {req.label_column!r} must hold integers "
            f"(it is {values.dtype})"
        )
    if int(values.min()) < 1 or int(values.max()) > 65535:
        raise WorkloadInputError(f"{req.labels}: label values must be 1..65535 (0 is background)")
    return gdf, values.to_numpy(dtype="int64")


def _read_tile(src: Any, row: int, col: int, size: int, fill: float) -> tuple[Any, Any]:
    """(bands x size x size data padded with `fill`, valid mask) for one tile."""
    import numpy as np
    from rasterio.windows import Window

    h, w = min(size, src.height - row), min(size, src.width - col)
    data = np.full((src.count, size, size), fill, dtype=src.dtypes[0])
    valid = np.zeros((size, size), dtype=bool)
    window = Window(col, row, w, h)
    data[:, :h, :w] = src.read(window=window)
    valid[:h, :w] = src.dataset_mask(window=window) > 0
    return data, valid


PARTITION = 16  # tiles per task


def cut_partition(
    positions: list[tuple[int, int]], *, req: TilesRequest, out: Path
) -> list[dict[str, Any] | None]:
    """Write the tiles at `positions` under `out`; their index records (None: skipped)."""
    import rasterio

    with rasterio.open(req.raster) as src:
        labels, burn = _labels(req, src.crs)
        return [_cut(req, src, out, row, col, labels, burn) for row, col in positions]


def _cut(
    req: TilesRequest, src: Any, out: Path, row: int, col: int, labels: Any, burn: Any
) -> dict[str, Any] | None:
    import rasterio
    from shapely.geometry import box

    fill = src.nodata if src.nodata is not None else 0
    data, valid = _read_tile(src, row, col, req.size, fill)
    if not valid.any() and not req.keep_empty:
        return None
    tid = f"r{row:06d}_c{col:06d}"
    transform = tile_transform(src.transform, row, col)
    profile = {
        **src.profile,
        "driver": "GTiff",
        "width": req.size,
        "height": req.size,
        "transform": transform,
        "nodata": src.nodata,
        "compress": "deflate",
        "tiled": False,
    }
    profile.pop("blockxsize", None)
    profile.pop("blockysize", None)
    with rasterio.open(out / "images" / f"{tid}.tif", "w", **profile) as dst:
        dst.write(data)
    footprint = box(*rasterio.transform.array_bounds(req.size, req.size, transform))
    record: dict[str, Any] = {
        "tile_id": tid,
        "image": f"images/{tid}.tif",
        "label": None,
        "row_off": row,
        "col_off": col,
        "width": req.size,
        "height": req.size,
        **dict(zip(TRANSFORM_COLUMNS, tuple(transform)[:6], strict=True)),
        "crs": _crs_text(src.crs),
        "valid_fraction": float(valid.mean()),
        "label_pixels": 0,
        "geometry": footprint,
    }
    if labels is not None:
        mask = _burn(labels, burn, footprint, transform, req.size)
        lprofile = {**profile, "count": 1, "dtype": mask.dtype.name, "nodata": None}
        with rasterio.open(out / "labels" / f"{tid}.tif", "w", **lprofile) as dst:
            dst.write(mask, 1)
        record["label"] = f"labels/{tid}.tif"
        record["label_pixels"] = int((mask > 0).sum())
    return record


def _burn(labels: Any, burn: Any, footprint: Any, transform: Any, size: int) -> Any:
    """The tile's label mask: each polygon that meets it burnt with its class."""
    import numpy as np
    from rasterio.features import rasterize

    label_dtype = "uint8" if burn.max() < 256 else "uint16"
    hits = labels.sindex.query(footprint, predicate="intersects")
    if not len(hits):
        return np.zeros((size, size), label_dtype)
    return rasterize(
        zip(labels.geometry.iloc[hits], burn[hits], strict=True),
        out_shape=(size, size),
        transform=transform,
        fill=0,
        dtype=label_dtype,
    )


def _crs_text(crs: Any) -> str:
    return f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else str(crs.to_wkt())


def run(
    req: TilesRequest, progress: Progress = no_progress, executor: Executor | None = None
) -> dict[str, Any]:
    """Cut the raster (and labels) into tiles under `req.out_dir`; a summary.

    Tiles are cut in partitions of `PARTITION`, here or on a cluster's workers (which
    must see `req.raster` and `req.out_dir` at the same paths); the index is written
    here, in tile order, so both give the same files and the same index.
    """
    import geopandas as gpd
    import rasterio

    if not req.raster.exists():
        raise WorkloadInputError(f"{req.raster}: no such file")
    started = time.perf_counter()
    try:
        src = rasterio.open(req.raster)
    except rasterio.errors.RasterioIOError as exc:
        raise WorkloadInputError(f"{req.raster}: not a readable raster ({exc})") from None
    with src:
        _validate(req, src)
        labels, _burn = _labels(req, src.crs)  # refuse bad labels before any work
        crs, crs_text = src.crs, _crs_text(src.crs)
        rows = tile_offsets(src.height, req.size, req.overlap)
        cols = tile_offsets(src.width, req.size, req.overlap)
    positions = [(r, c) for r in rows for c in cols]
    parts = [positions[i : i + PARTITION] for i in range(0, len(positions), PARTITION)]
    with staged_dir(req.out_dir, req.overwrite) as out:
        (out / "images").mkdir()
        if labels is not None:
            (out / "labels").mkdir()
        cut = (executor or LocalExecutor()).map(
            cut_partition, parts, shared={"req": req, "out": out}, progress=progress
        )
        found = [r for part in cut for r in part]
        records = [r for r in found if r is not None]
        if not records:
            raise WorkloadInputError(
                f"{req.raster}: every tile is nodata only; nothing to write",
                "check the raster's nodata value, or pass --keep-empty",
            )
        index = gpd.GeoDataFrame(records, geometry="geometry", crs=crs)
        _write_index(index, out / req.index_name)
    return {
        "workload": "tiles",
        "raster": str(req.raster),
        "out_dir": str(req.out_dir),
        "index": str(req.out_dir / req.index_name),
        "size": req.size,
        "overlap": req.overlap,
        "grid": [len(rows), len(cols)],
        "tiles": len(records),
        "skipped_empty": len(found) - len(records),
        "labels": str(req.labels) if req.labels else None,
        "labelled_tiles": sum(r["label_pixels"] > 0 for r in records),
        "crs": crs_text,
        "seconds": round(time.perf_counter() - started, 3),
    }


def _write_index(index: Any, path: Path) -> None:
    if vector_format(path, "--index") == "GeoParquet":  # pyarrow: checked in _validate
        index.to_parquet(path, index=False)
    else:
        index.to_file(path, driver="GPKG", layer="tiles")
