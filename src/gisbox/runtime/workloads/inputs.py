"""Reading, validating and atomically writing the workloads' inputs and outputs.

Every error names the file and the option, and says what to do. Outputs are
written to a temporary name next to the target and renamed into place, so a
failed run leaves nothing half-written.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gisbox.runtime.atomic import write_text_atomic
from gisbox.runtime.where import fix, image_packages
from gisbox.runtime.workloads import WorkloadInputError

NEEDS = {  # what each workload imports; checked before any work
    "moran": ("numpy", "geopandas", "libpysal", "esda"),
    "gistar": ("numpy", "geopandas", "libpysal", "esda"),
    "chunked": ("numpy", "rasterio"),
    "tiles": ("numpy", "rasterio", "geopandas"),
    "features": ("numpy", "rasterio", "geopandas"),
    "metrics": ("numpy", "shapely", "pyproj"),
}


def missing(*modules: str) -> list[str]:
    """The modules not installed in this environment (found without importing them)."""
    return [m for m in modules if importlib.util.find_spec(m) is None]


def require(workload: str) -> None:
    """Refuse clearly, before any work, when the stack lacks what `workload` needs."""
    absent = missing(*NEEDS[workload])
    if absent:
        raise WorkloadInputError(
            f"gisbox run {workload} needs {', '.join(absent)}, not installed in this environment",
            fix(host="pip install 'gisbox[workloads]'", image=image_packages(*absent)),
        )


VECTOR_OUTPUTS = {".parquet": "GeoParquet", ".geoparquet": "GeoParquet", ".gpkg": "GeoPackage"}


def read_layer(path: Path, layer: str | None = None) -> Any:
    """A GeoDataFrame from any OGR-readable file or GeoParquet; never empty."""
    import geopandas as gpd

    if not path.exists():
        raise WorkloadInputError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:
        raise WorkloadInputError(
            f"{path}: not a readable vector layer ({str(exc).splitlines()[0]})",
            "pass a GeoPackage, GeoParquet, GeoJSON or Shapefile",
        ) from None
    if len(gdf) == 0:
        raise WorkloadInputError(f"{path}: the layer is empty", "pass a layer with features")
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        bad = int((gdf.geometry.isna() | gdf.geometry.is_empty).sum())
        raise WorkloadInputError(
            f"{path}: {bad} feature(s) have no geometry", "drop or repair them first"
        )
    return gdf


def ensure_crs(
    gdf: Any,
    path: Path,
    *,
    projected: bool,
    to_crs: str | None = None,
    assume_crs: str | None = None,
    why: str = "",
) -> Any:
    """The layer with a CRS (projected when `projected`), reprojected to `to_crs` if given."""
    if gdf.crs is None:
        if assume_crs is None:
            raise WorkloadInputError(
                f"{path}: the layer has no CRS",
                "set one in the file, or pass --assume-crs EPSG:XXXX naming the CRS it is in",
            )
        gdf = gdf.set_crs(assume_crs)
    if to_crs is not None:
        gdf = gdf.to_crs(to_crs)
    if projected and not gdf.crs.is_projected:
        utm = gdf.estimate_utm_crs()
        suggestion = f"EPSG:{utm.to_epsg()}" if utm is not None and utm.to_epsg() else "a UTM CRS"
        raise WorkloadInputError(
            f"{path}: the layer's CRS {gdf.crs.to_string()} is geographic (degrees), "
            f"but {why or 'this operation'} needs distances in metres",
            f"pass --to-crs {suggestion} (or another projected CRS for the area)",
        )
    return gdf


def numeric_column(gdf: Any, path: Path, column: str) -> Any:
    """The column as float64; it must exist, be numeric and hold no missing values."""
    import numpy as np

    if column not in gdf.columns:
        numeric = [c for c in gdf.columns if c != gdf.geometry.name and _is_numeric(gdf[c])]
        raise WorkloadInputError(
            f"{path}: no column {column!r}",
            f"pass --column with one of: {', '.join(numeric) or '(no numeric columns)'}",
        )
    if not _is_numeric(gdf[column]):
        raise WorkloadInputError(
            f"{path}: column {column!r} is not numeric ({gdf[column].dtype})",
            "pass --column naming a numeric attribute",
        )
    values = gdf[column].to_numpy(dtype="float64", na_value=np.nan)
    missing = int(np.isnan(values).sum())
    if missing:
        raise WorkloadInputError(
            f"{path}: column {column!r} has {missing} missing value(s)",
            "fill or drop them first; the statistics need a value for every feature",
        )
    return values


def _is_numeric(series: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def vector_format(path: Path, option: str = "--out") -> str:
    fmt = VECTOR_OUTPUTS.get(path.suffix.lower())
    if fmt is None:
        raise WorkloadInputError(
            f"{option} {path}: unknown output format {path.suffix or '(no suffix)'!r}",
            "name it .parquet (GeoParquet) or .gpkg (GeoPackage)",
        )
    if fmt == "GeoParquet" and importlib.util.find_spec("pyarrow") is None:
        raise WorkloadInputError(
            f"{option} {path}: writing GeoParquet needs pyarrow, not installed here",
            "name it .gpkg (GeoPackage), or "
            + fix(host="pip install pyarrow", image=image_packages("pyarrow")),
        )
    return fmt


def write_layer(gdf: Any, path: Path) -> None:
    """Write GeoParquet or GeoPackage, chosen by suffix, atomically."""
    fmt = vector_format(path)
    with staged_file(path) as tmp:
        if fmt == "GeoParquet":
            gdf.to_parquet(tmp, index=False)
        else:
            gdf.to_file(tmp, driver="GPKG", layer=path.stem)


def write_json(data: dict[str, Any], path: Path) -> None:
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


@contextmanager
def staged_file(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` (same suffix), renamed onto `path` on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL's want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def staged_dir(path: Path, overwrite: bool) -> Iterator[Path]:
    """A temporary directory beside `path`, moved onto `path` on success."""
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise WorkloadInputError(
            f"{path}: the output directory exists and is not empty",
            "pass --overwrite, or choose another directory",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp's 0700 would hide the results from other users
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def file_versions(*paths: Path | None) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of each file: a per-process cache keyed by this sees a
    rewritten input (a long-lived Dask worker serves many jobs)."""
    out = []
    for p in paths:
        if p is not None and p.exists():
            st = p.stat()
            out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """The default progress callback: silent."""
