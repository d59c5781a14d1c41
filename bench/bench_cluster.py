"""Benchmark: the chunked workload in one process vs `gisbox cluster up --workers 2`.

    .venv/bin/python bench/bench_cluster.py [--memory-limit 384m] [--factor 4] [--size 9]

Locks and builds tests/projects/analysis (cached layers reused), writes a float32 raster whose
in-memory size is at least FACTOR x a worker's memory limit, then runs
`gisbox run chunked focal-mean --size SIZE` on it twice from the same image: once in one
container (one process, one thread), once on a cluster of two workers (one thread each,
the memory limit each) through `gisbox cluster run`. Both write one COG; the bench
checks they are byte-identical. Prints input size, wall time of each, the throughput
ratio (target >= 1.6x on this 2-core machine) and each worker's peak RSS against its
limit (getrusage in the worker process, which Dask's nanny restarts if it outgrows it).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024**2


def gisbox(*args: str, timeout: float = 7200) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [sys.executable, "-m", "gisbox", *args], capture_output=True, text=True, timeout=timeout
    )
    if res.returncode != 0:
        raise SystemExit(f"gisbox {' '.join(args[:3])} failed:\n{res.stderr[-3000:]}")
    return res


def write_input(path: Path, side: int) -> None:
    """A smooth float32 surface with noise, written in strips (bounded memory)."""
    profile = {
        "driver": "GTiff", "width": side, "height": side, "count": 1, "dtype": "float32",
        "nodata": -9999.0, "crs": "EPSG:32633", "transform": from_origin(500000, 4e6, 10, 10),
        "tiled": True, "blockxsize": 512, "blockysize": 512, "BIGTIFF": "YES",
    }  # fmt: skip
    rng = np.random.default_rng(1)
    x = np.arange(side, dtype="float32")
    with rasterio.open(path, "w", **profile) as dst:
        for row in range(0, side, 512):
            h = min(512, side - row)
            y = np.arange(row, row + h, dtype="float32")[:, None]
            strip = 100 * np.sin(x / 700) * np.cos(y / 900) + rng.normal(0, 5, (h, side))
            dst.write(strip.astype("float32"), 1, window=Window(0, row, side, h))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--memory-limit", default="384m", help="per worker (default 384m)")
    p.add_argument("--factor", type=float, default=4.0, help="raster / worker memory")
    p.add_argument("--size", type=int, default=9, help="focal window (default 9)")
    p.add_argument("--keep", action="store_true", help="keep the data directory")
    args = p.parse_args()

    from gisbox.deploy.containers import parse_memory
    from gisbox.project.spec import load_spec

    limit = parse_memory(args.memory_limit)
    side = math.ceil(math.sqrt(args.factor * limit / 4))  # float32 pixels
    work = Path(tempfile.mkdtemp(prefix="gisbox-bench-cluster-"))
    project = work / "analysis"
    shutil.copytree(
        ROOT / "tests/projects/analysis",
        project,
        ignore=shutil.ignore_patterns("expected", "verify.py", "build-args", "gisbox.lock"),
    )
    data = work / "data"
    data.mkdir()
    os.chmod(data, 0o777)
    print(f"locking and building {project} (cached layers are reused) ...", flush=True)
    gisbox("lock", "-C", str(project))  # against this machine's base, as the tests do
    gisbox("build", "-C", str(project))
    image = load_spec(project / "gisbox.toml").reference
    print(
        f"writing a {side} x {side} float32 raster ({side * side * 4 / MIB:.0f} MiB) ...",
        flush=True,
    )
    write_input(data / "big.tif", side)
    os.chmod(data / "big.tif", 0o666)
    workload = ["chunked", "focal-mean", "big.tif", "--size", str(args.size), "--json"]

    started = time.perf_counter()
    res = subprocess.run(
        ["docker", "run", "--rm", "-v", f"{data}:/data", "-w", "/data", image, "gisbox", "run",
         *workload, "--out", "single.tif"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    single_s = time.perf_counter() - started
    if res.returncode != 0:
        raise SystemExit(res.stderr[-3000:])
    single: dict[str, Any] = json.loads(res.stdout)

    name = "bench"
    subprocess.run(
        [sys.executable, "-m", "gisbox", "cluster", "down", "-C", str(project), "--name", name],
        capture_output=True,
    )
    gisbox("cluster", "up", "-C", str(project), "--name", name, "--workers", "2",
           "--memory-limit", args.memory_limit, "--data", str(data))  # fmt: skip
    try:
        started = time.perf_counter()
        out = gisbox("cluster", "run", "-C", str(project), "--name", name, "--", *workload,
                     "--out", "cluster.tif")  # fmt: skip
        cluster_s = time.perf_counter() - started
        many: dict[str, Any] = json.loads(out.stdout)
    finally:
        gisbox("cluster", "down", "-C", str(project), "--name", name)
    same = filecmp.cmp(data / "single.tif", data / "cluster.tif", shallow=False)
    mpix = side * side / 1e6
    print()
    print(f"raster           {side} x {side} float32 = {side * side * 4 / MIB:.0f} MiB "
          f"({side * side * 4 / limit:.1f}x a worker's {limit // MIB} MiB)")  # fmt: skip
    print(f"workload         focal-mean {args.size}x{args.size}, 512-pixel blocks, one COG")
    for label, wall, s in (
        ("one process     ", single_s, single),
        ("cluster, 2 x 1  ", cluster_s, many),
    ):
        cog = s["seconds"] - s["seconds_blocks"]
        print(f"{label} {wall:7.1f} s wall ({mpix / wall:.2f} Mpx/s): blocks "
              f"{s['seconds_blocks']:.1f} s, COG assembly {cog:.1f} s; "
              f"peak RSS {s['peak_rss_mb']:.0f} MB")  # fmt: skip
    blocks_ratio = single["seconds_blocks"] / many["seconds_blocks"]
    print(f"blocks phase     {blocks_ratio:.2f}x (the part the workers share)")
    ratio = single_s / cluster_s
    print(f"throughput ratio {ratio:.2f}x (target >= 1.6x: {'met' if ratio >= 1.6 else 'MISSED'})")
    for worker, mb in many["cluster"]["workers"].items():
        print(f"peak RSS         {worker}: {mb:.0f} MB of {limit // MIB} MiB "
              f"({'under' if mb * 1e6 < limit else 'OVER'} its limit)")  # fmt: skip
    print("(the tasks write and compress regions and their overviews; one process "
          "assembles the COG from their tiles)")  # fmt: skip
    print(f"outputs          {'byte-identical' if same else 'DIFFERENT'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
