"""Small deterministic versions of the workloads, for `gisbox check --workloads`.

Each runs on synthetic inputs made here (no downloads, under a second or two)
through the same code as `gisbox run`, and returns numbers for the
fingerprint. Floats are probes `{"value": [...], "tolerance": t, "unit": u}`
that `gisbox diff` compares within tolerance; digests of pixel output and
seeded permutation p-values must match exactly. A workload whose libraries
are absent reports `{"status": "unavailable", "reason": ...}` instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gisbox.runtime.workloads.inputs import NEEDS, missing

LATTICE = 8  # 8 x 8 polygons
ORIGIN = (500000.0, 4000000.0)  # UTM 33N metres
CRS = "EPSG:32633"
STAT_TOLERANCE = 1e-9


def _probe(values: list[float], tolerance: float = STAT_TOLERANCE, unit: str = "1") -> Any:
    return {"value": [float(v) for v in values], "tolerance": tolerance, "unit": unit}


def _missing(*modules: str) -> str | None:
    absent = missing(*modules)
    return f"not installed here: {', '.join(absent)}" if absent else None


def sample_lattice(path: Path) -> Path:
    """An 8 x 8 lattice of 100 m squares with a smooth trend plus a fixed pattern."""
    import geopandas as gpd
    from shapely.geometry import box

    x0, y0 = ORIGIN
    cells = [(r, c) for r in range(LATTICE) for c in range(LATTICE)]
    geoms = [
        box(x0 + c * 100, y0 + r * 100, x0 + (c + 1) * 100, y0 + (r + 1) * 100) for r, c in cells
    ]
    values = [float(r + c + (r * 7 + c * 3) % 5) for r, c in cells]
    gpd.GeoDataFrame({"value": values}, geometry=geoms, crs=CRS).to_file(path, driver="GPKG")
    return path


def sample_raster(path: Path, width: int = 150, height: int = 110) -> Path:
    """Two uint16 bands with a nodata hole, on a 10 m UTM grid."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    rows, cols = np.mgrid[0:height, 0:width]
    red = (100 + (rows * 37 + cols * 11) % 400).astype("uint16")
    nir = (300 + (rows * 13 + cols * 29) % 700).astype("uint16")
    red[40:55, 60:90] = 0
    nir[40:55, 60:90] = 0
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 2}
    profile |= {"dtype": "uint16", "crs": CRS, "nodata": 0}
    with rasterio.open(path, "w", transform=from_origin(*ORIGIN, 10, 10), **profile) as dst:
        dst.write(np.stack([red, nir]))
    return path


def _autocorr(work: Path) -> dict[str, Any]:
    from gisbox.runtime.workloads.autocorr import AutocorrRequest, Weights, run

    layer = sample_lattice(work / "lattice.gpkg")
    # queen contiguity: a regular lattice has no ties to break (knn would have some)
    req = AutocorrRequest(
        path=layer, column="value", weights=Weights(scheme="queen"), permutations=99
    )
    moran, _ = run("moran", req)
    gi, out = run("gistar", req)
    return {
        "moran.I": _probe([moran["I"]]),
        "moran.z_norm": _probe([moran["z_norm"]]),
        "moran.p_sim": moran["p_sim"],
        "gistar.z": _probe([gi["z_min"], gi["z_max"], gi["z_mean"]]),
        "gistar.hot_cold": [gi["hot"], gi["cold"]],
        "gistar.p_sim_digest": _digest(out["gi_p_sim"].to_numpy()),
    }


def _digest(array: Any) -> str:
    import numpy as np

    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def _chunked(work: Path) -> dict[str, Any]:
    import numpy as np
    import rasterio

    from gisbox.runtime.workloads.chunked import ChunkedRequest, in_memory, run

    raster = sample_raster(work / "bands.tif")
    out: dict[str, Any] = {}
    for op in ("ndvi", "focal-mean"):
        req = ChunkedRequest(inputs=(raster,), output=work / f"{op}.tif", op=op, block=32)
        summary = run(req)
        with rasterio.open(req.output) as ds:
            pixels = ds.read(1)
        out[f"{op}.digest"] = _digest(pixels)
        out[f"{op}.mean"] = _probe([summary["mean"], summary["min"], summary["max"]])
        out[f"{op}.equals_in_memory"] = bool(np.array_equal(pixels, in_memory(req), equal_nan=True))
    return out


def _tiles(work: Path) -> dict[str, Any]:
    import numpy as np
    import rasterio
    from rasterio.transform import rowcol, xy

    from gisbox.runtime.workloads.tiles import TilesRequest, run

    raster = work / "bands.tif"
    if not raster.exists():
        sample_raster(raster)
    index = "index.gpkg" if missing("pyarrow") else "index.parquet"
    req = TilesRequest(raster=raster, out_dir=work / "tiles", size=32, overlap=8, index_name=index)
    summary = run(req)
    digest = hashlib.sha256()
    exact = True
    with rasterio.open(raster) as src:
        pixels = src.read()
        for path in sorted((req.out_dir / "images").iterdir()):
            with rasterio.open(path) as tile:
                data = tile.read()
                digest.update(data.tobytes())
                digest.update(repr(tuple(tile.transform)).encode())
                # every valid tile pixel maps back, by its ground coordinate, to the same value
                x, y = xy(tile.transform, np.arange(32).repeat(32), np.tile(np.arange(32), 32))
                rows, cols = (np.asarray(a) for a in rowcol(src.transform, x, y))
                inside = (rows < src.height) & (cols < src.width)
                source = pixels[:, rows[inside], cols[inside]]
                exact &= bool((data.reshape(src.count, -1)[:, inside] == source).all())
    return {
        "tiles.count": [summary["tiles"], summary["skipped_empty"]],
        "tiles.digest": digest.hexdigest()[:16],
        "tiles.map_back_exact": exact,
    }


def _metrics(work: Path) -> dict[str, Any]:
    import numpy as np
    from shapely.geometry import box

    from gisbox.runtime.workloads.metrics import drift, object_scores, pixel_iou

    pred = np.array([[1, 1, 0], [1, 2, 2], [0, 2, 2]])
    truth = np.array([[1, 1, 1], [0, 2, 2], [0, 0, 2]])
    iou = pixel_iou(pred, truth)
    scores = object_scores(
        [box(0, 0, 2, 2), box(5, 5, 6, 6)], [box(0, 0, 2, 1.5), box(9, 9, 10, 10)]
    )
    d = drift([(15.0, 12.0), (140.0, 0.0)], [(15.001, 12.0), (140.0, 0.001)])
    return {
        "eval.mean_iou": _probe([iou["mean_iou"]]),
        "eval.f1": _probe([scores.precision, scores.recall, scores.f1]),
        "eval.drift_m": _probe([d["mean_m"], d["max_m"]], tolerance=1e-6, unit="m"),
    }


WORKLOADS: dict[str, tuple[tuple[str, ...], Callable[[Path], dict[str, Any]]]] = {
    "autocorr": (NEEDS["moran"], _autocorr),
    "chunked": (NEEDS["chunked"], _chunked),
    "tiles": (NEEDS["tiles"], _tiles),
    "metrics": (NEEDS["metrics"], _metrics),
}


def run_all(work: Path, on_error: Callable[[str, Exception], None]) -> dict[str, Any]:
    """{workload: its numbers, or its unavailability} for every workload, in `work`."""
    results: dict[str, Any] = {}
    for name, (needs, func) in WORKLOADS.items():
        reason = _missing(*needs)
        if reason:
            results[name] = {"status": "unavailable", "reason": reason}
            continue
        sub = work / name
        sub.mkdir(parents=True, exist_ok=True)
        try:
            results[name] = {"status": "ok", **func(sub)}
        except Exception as exc:
            on_error(name, exc)
            results[name] = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    return results
