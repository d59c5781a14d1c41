"""Benchmark: chunked raster processing on a raster several times the container's memory.

    .venv/bin/python bench/bench_chunked.py [--memory-mb 256] [--factor 4.5] [--keep]

Builds the `minimal` profile with gisbox (chunked processing needs only rasterio and
NumPy), writes a two-band uint16 GeoTIFF at least FACTOR x the memory limit, then runs
`gisbox run chunked ndvi` and `gisbox run chunked focal-mean --size 5` in the image with
`docker run --memory M --memory-swap M` (no swap: exceeding the limit is an OOM kill).
Prints input size, memory limit, peak RSS of the workload (getrusage), wall time,
throughput, and a spot check of the output against a direct computation of sampled
windows. Target: the runs finish, peak RSS stays well under the limit.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from bench_minimal import build, lock, make_project
from rasterio.transform import from_origin
from rasterio.windows import Window

from gisbox.engines.docker import detect_docker
from gisbox.runtime.workloads.operations import focal_mean, ndvi


def write_big_raster(path: Path, side: int) -> None:
    """Two uint16 bands of side x side, tiled 512, uncompressed, written by blocks."""
    profile = {"driver": "GTiff", "width": side, "height": side, "count": 2, "dtype": "uint16"}
    profile |= {"crs": "EPSG:32633", "transform": from_origin(300000, 5000000, 10, 10)}
    profile |= {"tiled": True, "blockxsize": 512, "blockysize": 512, "nodata": 0}
    with rasterio.open(path, "w", BIGTIFF="YES", **profile) as dst:
        for row in range(0, side, 2048):
            rows = np.arange(row, min(row + 2048, side))[:, None]
            cols = np.arange(side)[None, :]
            red = (1 + (rows * 7 + cols * 3) % 1500).astype("uint16")
            nir = (1 + (rows * 5 + cols * 11) % 3000).astype("uint16")
            dst.write(np.stack([red, nir]), window=Window(0, row, side, len(rows)))


def spot_check(src: Path, out: Path, op: str, samples: int = 8) -> bool:
    """Sampled 64 x 64 windows of the output equal the operation computed directly."""
    rng = np.random.default_rng(0)
    with rasterio.open(src) as s, rasterio.open(out) as o:
        for _ in range(samples):
            r, c = (int(v) for v in rng.integers(8, s.height - 72, 2))
            got = o.read(1, window=Window(c, r, 64, 64))
            if op == "ndvi":
                red, nir = s.read(window=Window(c, r, 64, 64)).astype("float64")
                want = ndvi(red, nir).astype("float32")
            else:  # size 5: a halo of 2; interior windows need no nodata padding
                band = s.read(1, window=Window(c - 2, r - 2, 68, 68)).astype("float64")
                want = focal_mean(band, 2).astype("float32")
            if not np.array_equal(got, want, equal_nan=True):
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, default=256, help="container memory limit")
    parser.add_argument("--factor", type=float, default=4.5, help="raster size / memory limit")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    engine = detect_docker()
    side = math.ceil(math.sqrt(args.factor * args.memory_mb * 2**20 / 4) / 512) * 512
    work = Path(tempfile.mkdtemp(prefix="gisbox-bench-chunked-", dir="/var/tmp"))
    try:
        project = make_project(work / "project", "wheels")
        spec = lock(project, engine).spec
        build(project, engine)
        data = work / "data"
        data.mkdir(mode=0o777)
        data.chmod(0o777)
        t = time.monotonic()
        write_big_raster(data / "big.tif", side)
        size = (data / "big.tif").stat().st_size
        print(f"gisbox bench: chunked processing in {spec.reference}")
        print(
            f"  input      {side} x {side} x 2 bands uint16, {size / 2**20:.0f} MiB on disk "
            f"(written in {time.monotonic() - t:.0f} s)"
        )
        print(
            f"  limit      --memory {args.memory_mb}m --memory-swap {args.memory_mb}m: "
            f"input is {size / (args.memory_mb * 2**20):.1f} x the limit"
        )
        for op, extra in (("ndvi", []), ("focal-mean", ["--size", "5"])):
            t = time.monotonic()
            res = engine.command(
                "run", "--rm", f"--memory={args.memory_mb}m", f"--memory-swap={args.memory_mb}m",
                "-v", f"{data}:/data", spec.reference, "gisbox", "run", "chunked", op,
                "/data/big.tif", "--out", f"/data/{op}.tif", *extra, "--json",
                check=False, timeout=3600,
            )  # fmt: skip
            wall = time.monotonic() - t
            if res.returncode != 0:
                oom = " (137: killed, out of memory)" if res.returncode == 137 else ""
                print(f"  {op:<10} FAILED, exit {res.returncode}{oom}: {res.stderr[-500:]}")
                continue
            s = json.loads(res.stdout)
            mpix = s["width"] * s["height"] / 1e6
            ok = spot_check(data / "big.tif", data / f"{op}.tif", op)
            print(
                f"  {op:<10} peak RSS {s['peak_rss_mb']:.0f} MiB of {args.memory_mb} MiB, "
                f"{wall:.0f} s wall ({s['seconds']:.0f} s in the workload, "
                f"{mpix / s['seconds']:.1f} Mpixel/s), {s['blocks']} blocks, "
                f"output {(data / f'{op}.tif').stat().st_size / 2**20:.0f} MiB COG, "
                f"spot check {'equal' if ok else 'DIFFERENT'}"
            )
    finally:
        if args.keep:
            print(f"  kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
