"""The chunked workload as a Dask graph: rioxarray reads, dask arrays compute, one COG.

Each input band is opened lazily with rioxarray in `block` x `block` chunks;
nodata becomes NaN, the focal window reads its neighbours through
`dask.array.overlap` (a halo of `size // 2` pixels, NaN beyond the edges), and
the kernels are `chunked`'s own, so every pixel is computed exactly as in the
single-process run. The workers compute strips of blocks; this process
writes them in order (at most `window` strips in flight, so its memory is
bounded by the strips, never the raster), sums the statistics block by block
in the same order, and copies the result to a COG with the same options:
the same pixels and the same summary as `chunked.run`.

GDAL mask bands are not read by rioxarray: the cluster path masks the nodata
value (and NaN), which is what the single-process path sees for rasters
whose mask is their nodata value (the common case, and gisbox's own outputs).
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from typing import Any

from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.chunked import (
    COG_OPTIONS,
    ChunkedRequest,
    _accumulate,
    _Sources,
    focal_mean,
    ndvi,
    peak_rss_mb,
)
from gisbox.runtime.workloads.executor import DaskExecutor, explain_failure
from gisbox.runtime.workloads.inputs import Progress, missing, no_progress, staged_file


def _as_float(block: Any, nodata: float | None) -> Any:
    import numpy as np

    out = block.astype("float64")
    if nodata is not None and not np.isnan(nodata):
        out[block == nodata] = np.nan
    return out


def _focal(padded: Any, halo: int) -> Any:
    return focal_mean(padded, halo)


def _ndvi(red: Any, nir: Any) -> Any:
    return ndvi(red.copy(), nir.copy())


def graph(req: ChunkedRequest, src: _Sources) -> Any:
    """The output as a lazy float32 dask array chunked like the single-process blocks."""
    import dask.array as da
    import numpy as np
    import rioxarray

    bands = []
    for ds, band in src.bands:
        lazy: Any = rioxarray.open_rasterio(
            ds.name, chunks={"band": 1, "y": req.block, "x": req.block}, lock=False, cache=False
        )
        nodata = ds.nodatavals[band - 1]
        data = lazy.isel(band=band - 1).data
        bands.append(data.map_blocks(_as_float, nodata, dtype="float64"))
    if req.op == "ndvi":
        out = da.map_blocks(_ndvi, bands[0], bands[1], dtype="float64")
    else:
        halo = req.halo
        padded = da.overlap.overlap(
            bands[0], depth={0: halo, 1: halo}, boundary={0: np.nan, 1: np.nan}
        )
        out = padded.map_blocks(_focal, halo, chunks=bands[0].chunks, dtype="float64")
    return out.astype("float32")


def run(
    req: ChunkedRequest,
    executor: DaskExecutor,
    progress: Progress = no_progress,
    window: int = 0,
) -> dict[str, Any]:
    """`chunked.run` on the cluster behind `executor`; the same output and summary."""
    import numpy as np
    import rasterio
    from rasterio.shutil import copy as gdal_copy

    absent = missing("dask", "rioxarray")
    if absent:
        raise WorkloadInputError(
            f"gisbox run chunked --cluster needs {', '.join(absent)}",
            "use the analysis profile, or add them to [python] packages",
        )
    if req.output.suffix.lower() not in (".tif", ".tiff"):
        raise WorkloadInputError(f"--out {req.output}: a COG is a GeoTIFF; name it .tif")
    started = time.perf_counter()
    client = executor.client
    stats: dict[str, Any] = {"valid": 0, "sum": 0.0, "min": np.inf, "max": -np.inf}
    with ExitStack() as stack, rasterio.Env(GDAL_CACHEMAX=req.cache_mb, GDAL_NUM_THREADS=1):
        src = _Sources(req, stack)
        out = graph(req, src)
        strips = out.numblocks[0]
        window = window or 2
        profile = {
            "driver": "GTiff",
            "width": src.width,
            "height": src.height,
            "count": 1,
            "dtype": "float32",
            "nodata": float("nan"),
            "crs": src.profile.get("crs"),
            "transform": src.profile["transform"],
            "tiled": True,
            "blockxsize": min(req.block, 512),
            "blockysize": min(req.block, 512),
            "BIGTIFF": "IF_SAFER",
        }
        interim = req.output.with_name(f".{req.output.stem}.{os.getpid()}.blocks.tif")
        pending: list[Any] = []
        try:
            with staged_file(req.output) as staged:
                with rasterio.open(interim, "w", **profile) as dst:
                    row = 0
                    for i in range(strips):
                        pending.append(client.compute(out.blocks[i]))
                        if len(pending) >= window:
                            row = _write_strip(dst, pending.pop(0).result(), row, req, stats)
                            progress(row, src.height)
                    while pending:
                        row = _write_strip(dst, pending.pop(0).result(), row, req, stats)
                        progress(row, src.height)
                gdal_copy(interim, staged, driver="COG", **COG_OPTIONS)
        except WorkloadInputError:
            raise
        except Exception as exc:
            if type(exc).__module__.startswith(("rasterio", "gisbox")):
                raise
            raise explain_failure(exc, executor.address) from exc
        finally:
            client.cancel(pending)
            interim.unlink(missing_ok=True)
    n = stats["valid"]
    return {
        "workload": "chunked",
        "op": req.op,
        "inputs": [str(p) for p in req.inputs],
        "bands": list(req.band_list()),
        "size": req.size if req.op == "focal-mean" else None,
        "output": str(req.output),
        "width": src.width,
        "height": src.height,
        "block": req.block,
        "blocks": int(np.prod(out.numblocks)),
        "valid_pixels": n,
        "mean": stats["sum"] / n if n else None,
        "min": stats["min"] if n else None,
        "max": stats["max"] if n else None,
        "seconds": round(time.perf_counter() - started, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "cluster": {"address": executor.address, "workers": worker_peaks(client)},
    }


def _write_strip(dst: Any, strip: Any, row: int, req: ChunkedRequest, stats: Any) -> int:
    """Write one strip of blocks at `row`; the statistics block by block, left to right."""
    from rasterio.windows import Window

    h, w = strip.shape
    dst.write(strip, 1, window=Window(0, row, w, h))
    for col in range(0, w, req.block):
        _accumulate(stats, strip[:, col : col + req.block])
    return row + h


def _peak_rss() -> float:
    return peak_rss_mb()


def worker_peaks(client: Any) -> dict[str, float]:
    """Each worker's peak resident memory (MB), keyed by its name."""
    info = client.scheduler_info().get("workers", {})
    names = {addr: str(w.get("name", addr)) for addr, w in info.items()}
    peaks = client.run(_peak_rss)
    return {names.get(addr, addr): round(mb, 1) for addr, mb in sorted(peaks.items())}
