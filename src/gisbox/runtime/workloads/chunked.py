"""Windowed raster processing to a Cloud Optimized GeoTIFF, in bounded memory.

The raster is processed block by block (rasterio windows); focal operations
read each block with a halo of `size // 2` pixels. Blocks are grouped into
regions, one task each; a task writes its region and the region's overview
levels beside the output, compressed as the COG's tiles (`cog_parts`), in this
process or, with `--cluster`, on a Dask cluster's workers, and the client places
those tiles into one COG (DEFLATE, overviews) without decoding them
(`cog_assemble`). One process uses one core, GDAL's threads included; a
cluster's workers share the tasks, compression included. Memory is bounded by
the block size and GDAL's block cache (`cache_mb`), never by the raster. The kernels add
neighbours in a fixed order, so the chunked result is bit-identical to
`in_memory()` and the COG is the same bytes however the work was split.

The operations (`gisbox.runtime.workloads.operations`, registered by name) give float32
output, NaN where no input is valid.
"""

from __future__ import annotations

import functools
import math
import resource
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads import WorkloadInputError, cog_parts
from gisbox.runtime.workloads.cog_parts import Region
from gisbox.runtime.workloads.executor import DaskExecutor, Executor, LocalExecutor
from gisbox.runtime.workloads.inputs import Progress, file_versions, no_progress, staged_file
from gisbox.runtime.workloads.operations import focal_mean, ndvi, operation

__all__ = ["ChunkedRequest", "focal_mean", "in_memory", "ndvi", "run"]


@dataclass(frozen=True, kw_only=True)
class ChunkedRequest:
    inputs: tuple[Path, ...]
    output: Path
    op: str
    # 1-based band numbers counted across `inputs` in order (input 2's band 1 follows
    # input 1's last band). Default: (1, 2) for ndvi, (1,) for focal-mean.
    bands: tuple[int, ...] = ()
    size: int = 3  # focal window, odd
    block: int = 512  # pixels per block side, a multiple of 16
    cache_mb: int = 64  # GDAL block cache

    @property
    def halo(self) -> int:
        return self.size // 2 if operation(self.op).windowed else 0

    def band_list(self) -> tuple[int, ...]:
        return self.bands or operation(self.op).default_bands


def _kernel(req: ChunkedRequest, arrays: list[Any]) -> Any:
    return operation(req.op).kernel(arrays, req.halo)


class _Sources:
    """The inputs, validated to share one grid, with bands addressed across them."""

    def __init__(self, req: ChunkedRequest, stack: ExitStack) -> None:
        import rasterio

        op = operation(req.op)
        if op.windowed and (req.size < 3 or req.size % 2 == 0):
            raise WorkloadInputError(f"--size {req.size}: must be odd and at least 3")
        if req.block < 16 or req.block % 16:
            raise WorkloadInputError(f"--block {req.block}: must be a multiple of 16")
        self.datasets = []
        for path in req.inputs:
            if not path.exists():
                raise WorkloadInputError(f"{path}: no such file")
            try:
                self.datasets.append(stack.enter_context(rasterio.open(path)))
            except rasterio.errors.RasterioIOError as exc:
                raise WorkloadInputError(f"{path}: not a readable raster ({exc})") from None
        first = self.datasets[0]
        for path, ds in zip(req.inputs[1:], self.datasets[1:], strict=True):
            if (ds.width, ds.height) != (first.width, first.height) or (
                ds.transform != first.transform or ds.crs != first.crs
            ):
                raise WorkloadInputError(
                    f"{path}: its grid does not match {req.inputs[0]} "
                    f"({ds.width}x{ds.height} {ds.crs} {tuple(ds.transform)[:6]} vs "
                    f"{first.width}x{first.height} {first.crs} {tuple(first.transform)[:6]})",
                    "resample it onto the first raster's grid first (e.g. gdalwarp -tr -te)",
                )
        self.refs = [(ds, b) for ds in self.datasets for b in range(1, ds.count + 1)]
        wanted = req.band_list()
        need = len(op.default_bands)
        if len(wanted) != need:
            raise WorkloadInputError(f"--bands: {req.op} takes {need} band number(s)")
        for b in wanted:
            if not 1 <= b <= len(self.refs):
                raise WorkloadInputError(
                    f"--bands {b}: the input(s) have {len(self.refs)} band(s) in all"
                )
        self.bands = [self.refs[b - 1] for b in wanted]
        self.width, self.height = first.width, first.height
        self.profile = first.profile

    def read(self, row: int, col: int, h: int, w: int, halo: int) -> list[Any]:
        """float64 blocks with `halo` pixels around; NaN outside the raster and at nodata."""
        import numpy as np
        from rasterio.windows import Window

        r0, c0 = max(row - halo, 0), max(col - halo, 0)
        r1, c1 = min(row + h + halo, self.height), min(col + w + halo, self.width)
        out = []
        for ds, band in self.bands:
            data = ds.read(band, window=Window(c0, r0, c1 - c0, r1 - r0), masked=True)
            block = np.full((h + 2 * halo, w + 2 * halo), np.nan)
            top, left = r0 - (row - halo), c0 - (col - halo)
            block[top : top + r1 - r0, left : left + c1 - c0] = data.astype("float64").filled(
                np.nan
            )
            out.append(block)
        return out


def _blocks(width: int, height: int, block: int) -> Iterator[tuple[int, int, int, int]]:
    for row in range(0, height, block):
        for col in range(0, width, block):
            yield row, col, min(block, height - row), min(block, width - col)


def _new_stats() -> dict[str, Any]:
    return {"valid": 0, "sum": 0.0, "min": math.inf, "max": -math.inf}


def _merge(stats: dict[str, Any], part: dict[str, Any]) -> None:
    stats["valid"] += part["valid"]
    stats["sum"] += part["sum"]
    stats["min"] = min(stats["min"], part["min"])
    stats["max"] = max(stats["max"], part["max"])


def _accumulate(stats: dict[str, Any], out: Any) -> None:
    import numpy as np

    valid = out[~np.isnan(out)]
    if valid.size:
        stats["valid"] += int(valid.size)
        stats["sum"] += float(valid.sum(dtype="float64"))
        stats["min"] = min(stats["min"], float(valid.min()))
        stats["max"] = max(stats["max"], float(valid.max()))


def summary(
    req: ChunkedRequest, src: _Sources, stats: dict[str, Any], blocks: int, started: float
) -> dict[str, Any]:
    n = stats["valid"]
    return {
        "workload": "chunked",
        "op": req.op,
        "inputs": [str(p) for p in req.inputs],
        "bands": list(req.band_list()),
        "size": req.size if operation(req.op).windowed else None,
        "output": str(req.output),
        "width": src.width,
        "height": src.height,
        "block": req.block,
        "blocks": blocks,
        "valid_pixels": n,
        "mean": stats["sum"] / n if n else None,
        "min": stats["min"] if n else None,
        "max": stats["max"] if n else None,
        "seconds": round(time.perf_counter() - started, 3),
        "seconds_blocks": round(stats.get("blocks_s", 0.0), 3),  # the rest: the assembly
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


_OPEN: dict[tuple[Any, ...], tuple[ExitStack, _Sources]] = {}


def _sources(req: ChunkedRequest) -> _Sources:
    """The inputs, kept open in a worker process between its tasks."""
    key = (req, file_versions(*req.inputs))
    if key not in _OPEN:
        while len(_OPEN) >= 4:  # a few requests' inputs at most
            _OPEN.pop(next(iter(_OPEN)))[0].close()
        stack = ExitStack()
        _OPEN[key] = (stack, _Sources(req, stack))
    return _OPEN[key][1]


def gdal_env(req: ChunkedRequest) -> Any:
    """GDAL's block cache of `cache_mb` and one thread (a task is one core's work).

    rasterio hands an integer GDAL_CACHEMAX to GDALSetCacheMax64, in bytes: the
    megabytes must be converted here (64 would be a 64-byte cache, which decodes a
    compressed tile again for every window read from or written into it)."""
    import rasterio

    return rasterio.Env(GDAL_CACHEMAX=req.cache_mb * 1024 * 1024, GDAL_NUM_THREADS=1)


def write_region(
    region: Region, req: ChunkedRequest, parts: Path, src: _Sources | None = None
) -> dict[str, Any]:
    """One task: the region's blocks (each read with its halo) into its part file, then
    its overview levels; the statistics of its pixels. `src`: this process's inputs
    (a worker's stay open between tasks)."""
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    if not parts.is_dir():
        raise WorkloadInputError(
            f"{parts}: this worker does not see the output's directory ({socket.gethostname()})",
            "the client and the workers must see inputs and outputs at the same paths: "
            "gisbox cluster up --data DIR mounts DIR at /data everywhere; on Kubernetes, "
            "mount one shared volume in the Job and the workers",
        )
    src = src or _sources(req)
    row, col, h, w = region
    stats = _new_stats()
    at = src.profile["transform"] @ Affine.translation(col, row)
    profile = cog_parts.part_profile(w, h, at)
    with gdal_env(req):
        with (
            cog_parts.written(parts / cog_parts.part_name(region)) as tmp,
            rasterio.open(tmp, "w", **profile) as dst,
        ):
            for r, c, bh, bw in _blocks(w, h, req.block):
                out = _block(req, src, (row + r, col + c, bh, bw))
                dst.write(out, 1, window=Window(c, r, bw, bh))
                _accumulate(stats, out)
            cog_parts.pad_with_nodata(dst, w, h)
        cog_parts.write_levels(parts, region, overview_factors(src), req.block)
    return stats


def overview_factors(src: _Sources) -> list[int]:
    return cog_parts.overview_factors(src.width, src.height)


def _block(req: ChunkedRequest, src: _Sources, block: Region) -> Any:
    row, col, h, w = block
    return _kernel(req, src.read(row, col, h, w, req.halo)).astype("float32")


def run(
    req: ChunkedRequest, progress: Progress = no_progress, executor: Executor | None = None
) -> dict[str, Any]:
    """Process `req.inputs` block by block and write `req.output` as a COG; a summary.

    The raster is cut into regions of up to 4 x 4 blocks, one task each (see
    `cog_parts`): a task reads its blocks with their halo, writes its region and the
    region's overview levels beside the output. With a `DaskExecutor` the tasks run
    on the cluster's workers, which must see the output's directory at the same path
    (`gisbox cluster` mounts one data directory everywhere); only each region's
    statistics come back. The COG is the same bytes either way.
    """
    if req.output.suffix.lower() not in (".tif", ".tiff"):
        raise WorkloadInputError(f"--out {req.output}: a COG is a GeoTIFF; name it .tif")
    started = time.perf_counter()
    env = gdal_env(req)
    with ExitStack() as stack, env:
        src = _Sources(req, stack)
        factors = overview_factors(src)
        todo = cog_parts.regions(src.width, src.height, req.block, factors)
        with cog_parts.parts_dir(req.output) as parts, staged_file(req.output) as staged:
            local = not isinstance(executor, DaskExecutor)
            task = functools.partial(write_region, req=req, parts=parts, src=src if local else None)
            done = (executor or LocalExecutor()).map(task, todo, progress=progress)
            stats = _new_stats()
            for part in done:  # in region order: the same sum in any run
                _merge(stats, part)
            stats["blocks_s"] = time.perf_counter() - started
            cog_parts.assemble(
                parts,
                todo,
                (src.width, src.height),
                factors,
                (src.profile.get("crs"), src.profile["transform"]),
                staged,
            )
    blocks = sum(len(list(_blocks(w, h, req.block))) for _, _, h, w in todo)  # per region
    result = summary(req, src, stats, blocks, started)
    result["regions"] = len(todo)
    if isinstance(executor, DaskExecutor):
        result["cluster"] = {"address": executor.address, "workers": executor.worker_peaks()}
    return result


def in_memory(req: ChunkedRequest) -> Any:
    """The same operation on whole arrays (small rasters only): the reference result."""
    with ExitStack() as stack:
        src = _Sources(req, stack)
        arrays = src.read(0, 0, src.height, src.width, req.halo)
        return _kernel(req, arrays).astype("float32")
