"""CRS-consistent feature engineering: per-feature attributes in one declared CRS.

Every input layer (the features, `--near`, `--count`) is reprojected to the
one projected CRS the user declares (`--crs`); a layer without a CRS is
refused, never guessed. Per feature:

- `area` and `length` (perimeter for polygons) in the CRS's units (metres);
- `nearest`: distance to the nearest feature of the `--near` layer;
- `count_within`: features of the `--count` layer within `--radius`;
- `zonal_mean|min|max|count`: the valid pixels of `--raster` whose centres
  fall in the polygon (the geometry reprojected to the raster's CRS; the
  pixel under a point).

Every attribute depends only on its own feature, so the table is the same
whether it is computed here on one GeoDataFrame or on a cluster as a
dask-geopandas pipeline of partitions (`to_crs`, then `map_partitions`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gisbox.runtime.where import fix, image_packages
from gisbox.runtime.workloads import WorkloadInputError
from gisbox.runtime.workloads.executor import explain_failure
from gisbox.runtime.workloads.inputs import file_versions, missing, read_layer

PARTITION_ROWS = 2000


@dataclass(frozen=True, kw_only=True)
class FeaturesRequest:
    layer: Path
    crs: str
    near: Path | None = None
    count: Path | None = None
    radius: float | None = None
    raster: Path | None = None
    band: int = 1


def _with_crs(path: Path) -> Any:
    gdf = read_layer(path)
    if gdf.crs is None:
        raise WorkloadInputError(
            f"{path}: the layer has no CRS; gisbox run features reprojects every layer to "
            "--crs and will not guess one",
            "set the CRS in the file (e.g. ogr2ogr -a_srs EPSG:XXXX out.gpkg in.gpkg)",
        )
    return gdf


def _target(req: FeaturesRequest) -> Any:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(req.crs)
    except CRSError as exc:
        raise WorkloadInputError(f"--crs {req.crs}: not a CRS ({exc})") from None
    if not crs.is_projected:
        raise WorkloadInputError(
            f"--crs {req.crs}: a geographic CRS measures in degrees",
            "declare a projected CRS in metres for the area (e.g. its UTM zone)",
        )
    return crs


def _validate(req: FeaturesRequest) -> None:
    if req.count is not None and (req.radius is None or req.radius <= 0):
        raise WorkloadInputError("--count needs --radius METRES (a positive distance)")
    if req.radius is not None and req.count is None:
        raise WorkloadInputError("--radius is for --count LAYER; pass both")
    if req.raster is not None and not req.raster.exists():
        raise WorkloadInputError(f"--raster {req.raster}: no such file")


_OTHERS: dict[tuple[Any, ...], Any] = {}


def _other(path: Path, crs: str) -> Any:
    """Another layer in the declared CRS, read once per process (workers reuse it)."""
    key = (file_versions(path), crs)
    if key not in _OTHERS:
        _OTHERS[key] = _with_crs(path).to_crs(crs)
    return _OTHERS[key]


def attributes(part: Any, req: FeaturesRequest) -> Any:
    """The attribute columns for the features of `part` (already in the declared CRS)."""
    import numpy as np
    import pandas as pd

    geoms = part.geometry
    out = pd.DataFrame(index=part.index)
    out["area"] = geoms.area.to_numpy()
    out["length"] = geoms.length.to_numpy()
    crs = part.crs.to_wkt()
    if req.near is not None:
        near = _other(req.near, crs)
        (_src, _dst), dist = near.sindex.nearest(
            geoms.to_numpy(), return_distance=True, return_all=False
        )
        out["nearest"] = dist
    if req.count is not None:
        other = _other(req.count, crs)
        hits = other.sindex.query(geoms.to_numpy(), predicate="dwithin", distance=req.radius)
        out["count_within"] = np.bincount(hits[0], minlength=len(part)).astype("int64")
    if req.raster is not None:
        for name, values in _zonal(part, req).items():
            out[name] = values
    return out


def with_attributes(part: Any, req: FeaturesRequest) -> Any:
    """The features of `part` (in the declared CRS) with their attribute columns."""
    return part.join(attributes(part, req))


def _zonal(part: Any, req: FeaturesRequest) -> dict[str, Any]:
    import numpy as np
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.windows import Window, from_bounds

    assert req.raster is not None
    stats = {k: np.full(len(part), np.nan) for k in ("zonal_mean", "zonal_min", "zonal_max")}
    count = np.zeros(len(part), dtype="int64")
    with rasterio.open(req.raster) as src:
        geoms = part.geometry.to_crs(src.crs) if src.crs else part.geometry
        full = Window(0, 0, src.width, src.height)
        for i, geom in enumerate(geoms):
            if geom.geom_type == "Point":
                r, c = src.index(geom.x, geom.y)
                win = Window(c, r, 1, 1)
            else:
                f = from_bounds(*geom.bounds, transform=src.transform)
                c0, r0 = math.floor(f.col_off), math.floor(f.row_off)
                c1, r1 = math.ceil(f.col_off + f.width), math.ceil(f.row_off + f.height)
                win = Window(c0, r0, max(c1 - c0, 1), max(r1 - r0, 1))
            try:
                win = win.intersection(full)
            except rasterio.errors.WindowError:
                continue  # outside the raster
            data = src.read(req.band, window=win, masked=True)
            if geom.geom_type != "Point":
                inside = geometry_mask(
                    [geom], out_shape=data.shape, transform=src.window_transform(win), invert=True
                )
                data = np.ma.masked_where(~inside, data)
            valid = data.compressed().astype("float64")
            count[i] = valid.size
            if valid.size:
                stats["zonal_mean"][i] = valid.mean()
                stats["zonal_min"][i] = valid.min()
                stats["zonal_max"][i] = valid.max()
    return {**stats, "zonal_count": count}


def run(req: FeaturesRequest, client: Any = None) -> tuple[dict[str, Any], Any]:
    """(summary, GeoDataFrame in the declared CRS with the attribute columns)."""
    _validate(req)
    crs = _target(req)
    started = time.perf_counter()
    gdf = _with_crs(req.layer)
    for path in (req.near, req.count):
        if path is not None:
            _other(path, crs.to_wkt())  # refuse a bad layer before any work
    if client is None:
        out = with_attributes(gdf.to_crs(crs), req)
        partitions = 1
    else:
        if missing("dask_geopandas"):
            raise WorkloadInputError(
                "gisbox run features --cluster needs dask-geopandas",
                fix(host="pip install 'gisbox[cluster]'", image=image_packages("dask-geopandas")),
            )
        import dask_geopandas

        partitions = max(1, -(-len(gdf) // PARTITION_ROWS))
        ddf = dask_geopandas.from_geopandas(gdf, npartitions=partitions).to_crs(crs)
        meta = with_attributes(gdf.iloc[:0].to_crs(crs), req)
        try:
            out = client.compute(ddf.map_partitions(with_attributes, req, meta=meta)).result()
        except WorkloadInputError:
            raise
        except Exception as exc:
            raise explain_failure(exc, str(client.scheduler.address)) from exc
    summary = {
        "workload": "features",
        "input": str(req.layer),
        "n": len(out),
        "crs": crs.to_string(),
        "attributes": [c for c in out.columns if c not in gdf.columns],
        "partitions": partitions,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return summary, out
