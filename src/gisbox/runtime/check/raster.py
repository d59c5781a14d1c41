"""Raster round trips (GeoTIFF, COG), a reprojection checksum, and the drivers present."""

from __future__ import annotations

import hashlib
import os
import tempfile
from typing import Any

from gisbox.runtime.check.findings import Findings
from gisbox.runtime.check.stack import one_line

RASTER_DRIVERS = ("GTiff", "COG")
VECTOR_DRIVERS = ("GPKG", "GeoJSON", "ESRI Shapefile")
SIZE = 64
DECLARED = "GISBOX_GDAL_DRIVERS"  # set by strategy "source": the drivers [stack] declares


def run_raster(modules: dict[str, Any], findings: Findings, workdir: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "rasterio" in modules:
        out.update(_drivers(findings))
        try:
            out.update(_round_trips(findings, workdir))
        except Exception as exc:
            findings.error("raster.failed", f"rasterio raster probes failed: {one_line(exc)}")
    if "pyogrio" in modules:
        try:
            drivers = sorted(modules["pyogrio"].list_drivers())
        except Exception as exc:
            findings.error("vector.failed", f"pyogrio.list_drivers failed: {one_line(exc)}")
        else:
            out["drivers.pyogrio"] = drivers
            for name in VECTOR_DRIVERS:
                if name not in drivers:
                    findings.error("vector.driver-missing", f"pyogrio: no {name} driver")
    return out


def _drivers(findings: Findings) -> dict[str, Any]:
    from rasterio.env import Env

    with Env() as env:
        drivers = sorted(env.drivers())
    for name in RASTER_DRIVERS:
        if name not in drivers:
            findings.error(
                "raster.driver-missing",
                f"rasterio: no {name} driver",
                "use a rasterio build with this driver",
            )
    declared = [d for d in os.environ.get(DECLARED, "").split(",") if d]
    missing = [d for d in declared if d not in drivers]
    if missing:
        findings.error(
            "stack.driver-missing",
            f"GDAL lacks the declared driver(s) {', '.join(missing)} ({DECLARED})",
            "the image's GDAL was built without them: check [stack] gdal_drivers and rebuild",
        )
    return {"drivers.rasterio": drivers}


def _sample() -> Any:
    import numpy as np

    i, j = np.mgrid[0:SIZE, 0:SIZE]
    return ((i * 7 + j * 13) % 1000).astype("uint16")


def _round_trips(findings: Findings, workdir: str | None) -> dict[str, Any]:
    import numpy as np
    import rasterio
    from rasterio.crs import CRS
    from rasterio.transform import Affine
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    data = _sample()
    crs = CRS.from_epsg(32633)
    transform = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 5000000.0)
    profile = {
        "width": SIZE,
        "height": SIZE,
        "count": 1,
        "dtype": "uint16",
        "crs": crs,
        "transform": transform,
    }
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="gisbox-check-", dir=workdir) as tmp:
        for driver in RASTER_DRIVERS:
            path = os.path.join(tmp, f"probe-{driver.lower()}.tif")
            with rasterio.open(path, "w", driver=driver, **profile) as dst:
                dst.write(data, 1)
            with rasterio.open(path) as src:
                back = src.read(1)
                ok = (
                    src.crs == crs
                    and src.transform == transform
                    and bool(np.array_equal(back, data))
                )
                layout = src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT", "")
            if not ok:
                findings.error(
                    "raster.roundtrip",
                    f"{driver}: CRS, transform or pixels changed after a write and read back",
                )
            if driver == "COG" and layout.upper() != "COG":
                findings.error("raster.cog-layout", f"COG driver wrote LAYOUT={layout!r}")
            out[f"raster.roundtrip.{driver.lower()}"] = ok
    dst_transform, w, h = calculate_default_transform(
        crs, "EPSG:4326", SIZE, SIZE, *rasterio.transform.array_bounds(SIZE, SIZE, transform)
    )
    warped = np.zeros((h, w), dtype="uint16")
    reproject(
        data,
        warped,
        src_transform=transform,
        src_crs=crs,
        dst_transform=dst_transform,
        dst_crs="EPSG:4326",
        resampling=Resampling.nearest,
    )
    out["raster.reproject.shape"] = [int(h), int(w)]
    out["raster.reproject.transform"] = {
        "value": list(dst_transform)[:6],
        "tolerance": 1e-9,
        "unit": "deg",
    }
    out["raster.reproject.sha256"] = hashlib.sha256(warped.tobytes()).hexdigest()
    out["raster.reproject.sum"] = {"value": [int(warped.sum())], "tolerance": 0, "unit": "1"}
    return out
